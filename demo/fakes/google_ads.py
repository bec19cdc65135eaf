"""Fake Google Ads API: a real gRPC server serving GoogleAdsService/SearchStream
with the google-ads library's own request and response types, and errors as
the real service sends them (a status plus a ``googleadsfailure-bin`` trailer).

It listens with gRPC *local* credentials, which accept only loopback
connections, so call credentials (the OAuth bearer token) travel as they do
to Google without a TLS certificate.
"""

from __future__ import annotations

import re
import secrets
from concurrent import futures
from datetime import date

import grpc
from google.ads.googleads.v26.errors.types.authentication_error import (
    AuthenticationErrorEnum,
)
from google.ads.googleads.v26.errors.types.errors import (
    ErrorCode,
    ErrorDetails,
    GoogleAdsError,
    GoogleAdsFailure,
    QuotaErrorDetails,
)
from google.ads.googleads.v26.errors.types.internal_error import InternalErrorEnum
from google.ads.googleads.v26.errors.types.quota_error import QuotaErrorEnum
from google.ads.googleads.v26.resources.types.campaign import Campaign
from google.ads.googleads.v26.resources.types.customer import Customer
from google.ads.googleads.v26.services.types.customer_service import (
    ListAccessibleCustomersRequest,
    ListAccessibleCustomersResponse,
)
from google.ads.googleads.v26.services.types.google_ads_service import (
    GoogleAdsRow,
    SearchGoogleAdsStreamRequest,
    SearchGoogleAdsStreamResponse,
)
from google.protobuf import duration_pb2, field_mask_pb2

from demo.fakes.state import RETRY_AFTER_SECONDS, FakeState

PLATFORM = "google_ads"
SERVICE = "google.ads.googleads.v26.services.GoogleAdsService"
CUSTOMER_SERVICE = "google.ads.googleads.v26.services.CustomerService"
_ONE_DAY = re.compile(r"segments\.date\s*=\s*'(\d{4}-\d{2}-\d{2})'", re.I)
_BETWEEN = re.compile(
    r"segments\.date\s+BETWEEN\s+'(\d{4}-\d{2}-\d{2})'\s+AND\s+'(\d{4}-\d{2}-\d{2})'", re.I
)


def _abort(
    context: grpc.ServicerContext, code: grpc.StatusCode, message: str, error: GoogleAdsError
) -> None:
    request_id = secrets.token_hex(8)
    failure = GoogleAdsFailure(errors=[error], request_id=request_id)
    context.set_trailing_metadata(
        (
            ("googleadsfailure-bin", GoogleAdsFailure.serialize(failure)),
            ("request-id", request_id),
        )
    )
    context.abort(code, message)


class FakeGoogleAds:
    def __init__(self, state: FakeState) -> None:
        self.state = state
        self.server: grpc.Server | None = None
        self.port = 0

    def list_accessible_customers(
        self, request: ListAccessibleCustomersRequest, context: grpc.ServicerContext
    ) -> ListAccessibleCustomersResponse:
        """The customers the OAuth user can reach directly: needs a developer
        token and a valid bearer token, names no customer."""
        metadata = dict(context.invocation_metadata())
        auth = metadata.get("authorization", "")
        reach = self.state.reach_of_token(
            PLATFORM, auth[7:] if auth.startswith("Bearer ") else None
        )
        if not metadata.get("developer-token") or not reach:
            errors = AuthenticationErrorEnum.AuthenticationError
            reason = (
                errors.OAUTH_TOKEN_INVALID
                if metadata.get("developer-token")
                else errors.DEVELOPER_TOKEN_INVALID
            )
            self.state.record(PLATFORM, None, "list_accessible_customers", "UNAUTHENTICATED")
            _abort(
                context,
                grpc.StatusCode.UNAUTHENTICATED,
                "Request is missing required authentication credential.",
                GoogleAdsError(
                    error_code=ErrorCode(authentication_error=reason),
                    message="Authentication of the request failed.",
                ),
            )
        self.state.record(PLATFORM, None, "list_accessible_customers", "OK")
        return ListAccessibleCustomersResponse(
            resource_names=[f"customers/{a}" for a in reach if self.state.account(PLATFORM, a)]
        )

    def search_stream(self, request: SearchGoogleAdsStreamRequest, context: grpc.ServicerContext):
        st = self.state
        metadata = dict(context.invocation_metadata())
        acct = st.account(PLATFORM, request.customer_id)
        if acct is None or not metadata.get("developer-token"):
            _abort(
                context,
                grpc.StatusCode.PERMISSION_DENIED,
                "The caller does not have permission",
                GoogleAdsError(
                    error_code=ErrorCode(
                        authentication_error=AuthenticationErrorEnum.AuthenticationError.CUSTOMER_NOT_FOUND
                    ),
                    message="No customer found for the provided customer id.",
                ),
            )
        auth = metadata.get("authorization", "")
        token = st.token_state(acct, auth[7:] if auth.startswith("Bearer ") else None)
        if token != "ok":
            st.record(PLATFORM, acct.account_id, "search_stream", "UNAUTHENTICATED")
            reason = (
                AuthenticationErrorEnum.AuthenticationError.OAUTH_TOKEN_EXPIRED
                if token == "expired"
                else AuthenticationErrorEnum.AuthenticationError.OAUTH_TOKEN_REVOKED
            )
            _abort(
                context,
                grpc.StatusCode.UNAUTHENTICATED,
                "Request is missing required authentication credential.",
                GoogleAdsError(
                    error_code=ErrorCode(authentication_error=reason),
                    message="Authentication of the request failed.",
                ),
            )
        if st.fire_once(acct, "rate_limit"):
            st.record(PLATFORM, acct.account_id, "search_stream", "RESOURCE_EXHAUSTED")
            _abort(
                context,
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                "Resource has been exhausted (e.g. check quota).",
                GoogleAdsError(
                    error_code=ErrorCode(quota_error=QuotaErrorEnum.QuotaError.RESOURCE_EXHAUSTED),
                    message="Too many requests. Retry in 1 seconds.",
                    details=ErrorDetails(
                        quota_error_details=QuotaErrorDetails(
                            rate_name="Requests per customer",
                            retry_delay=duration_pb2.Duration(seconds=RETRY_AFTER_SECONDS),
                        )
                    ),
                ),
            )
        if st.fire_once(acct, "server_error"):
            st.record(PLATFORM, acct.account_id, "search_stream", "INTERNAL")
            _abort(
                context,
                grpc.StatusCode.INTERNAL,
                "Internal error encountered.",
                GoogleAdsError(
                    error_code=ErrorCode(
                        internal_error=InternalErrorEnum.InternalError.INTERNAL_ERROR
                    ),
                    message="An internal error has occurred.",
                ),
            )
        if re.search(r"FROM\s+customer\b", request.query):
            st.record(PLATFORM, acct.account_id, "customer", "OK")
            row = GoogleAdsRow(
                customer=Customer(
                    id=int(acct.account_id),
                    descriptive_name=acct.name,
                    currency_code=acct.currency,
                    manager=False,
                    resource_name=f"customers/{acct.account_id}",
                )
            )
            yield SearchGoogleAdsStreamResponse(results=[row], request_id=secrets.token_hex(8))
            return
        if "FROM click_view" in request.query:
            yield from self._click_view(acct, request.query, context)
            return
        match = _BETWEEN.search(request.query)
        if match is None or "FROM campaign" not in request.query:
            context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                "This fake answers campaign queries with a date range",
            )
        st.record(PLATFORM, acct.account_id, "search_stream", "OK")
        rows = st.rows(acct, date.fromisoformat(match[1]), date.fromisoformat(match[2]))
        mask = field_mask_pb2.FieldMask(
            paths=[
                "segments.date",
                "campaign.id",
                "campaign.name",
                "metrics.impressions",
                "metrics.clicks",
                "metrics.cost_micros",
                "metrics.conversions",
                "metrics.conversions_value",
                "customer.currency_code",
            ]
        )
        size = st.page_size
        for i in range(0, len(rows), size):
            batch = []
            for day, campaign_id, name, m in rows[i : i + size]:
                st.serve(acct, day, campaign_id, m.spend, m.value)
                row = GoogleAdsRow(
                    campaign=Campaign(
                        id=int(campaign_id),
                        name=name,
                        resource_name=f"customers/{acct.account_id}/campaigns/{campaign_id}",
                    ),
                    customer=Customer(currency_code=acct.currency),
                )
                row.segments.date = day.isoformat()
                row.metrics.impressions = m.impressions
                row.metrics.clicks = m.clicks
                row.metrics.cost_micros = m.spend_cents * 10_000
                row.metrics.conversions = float(m.conversions)
                row.metrics.conversions_value = float(m.value)
                batch.append(row)
            yield SearchGoogleAdsStreamResponse(
                results=batch, field_mask=mask, request_id=secrets.token_hex(8)
            )

    def _click_view(self, acct, query: str, context: grpc.ServicerContext):
        match = _ONE_DAY.search(query)
        if match is None:
            # The real API insists on a single-day filter for click_view.
            context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, "click_view requires a filter on a single day"
            )
        st = self.state
        st.record(PLATFORM, acct.account_id, "click_view", "OK")
        day = date.fromisoformat(match[1])
        batch = []
        for gclid, campaign_id in st.gclids(acct, day):
            row = GoogleAdsRow(campaign=Campaign(id=int(campaign_id)))
            row.click_view.gclid = gclid
            row.segments.date = day.isoformat()
            row.ad_group.id = int(campaign_id) * 10 + 1
            batch.append(row)
        for i in range(0, len(batch), st.page_size):
            yield SearchGoogleAdsStreamResponse(results=batch[i : i + st.page_size])

    def start(self) -> str:
        customers = grpc.method_handlers_generic_handler(
            CUSTOMER_SERVICE,
            {
                "ListAccessibleCustomers": grpc.unary_unary_rpc_method_handler(
                    self.list_accessible_customers,
                    request_deserializer=ListAccessibleCustomersRequest.deserialize,
                    response_serializer=ListAccessibleCustomersResponse.serialize,
                )
            },
        )
        handler = grpc.method_handlers_generic_handler(
            SERVICE,
            {
                "SearchStream": grpc.unary_stream_rpc_method_handler(
                    self.search_stream,
                    request_deserializer=SearchGoogleAdsStreamRequest.deserialize,
                    response_serializer=SearchGoogleAdsStreamResponse.serialize,
                )
            },
        )
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        self.server.add_generic_rpc_handlers((handler, customers))
        self.port = self.server.add_secure_port(
            "127.0.0.1:0", grpc.local_server_credentials(grpc.LocalConnectionType.LOCAL_TCP)
        )
        self.server.start()
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop(grace=None)
