"""Google Ads through the ``google-ads`` library: GAQL over
GoogleAdsService.SearchStream.

The library's ``load_from_dict`` refreshes the token at once, so the client is
built from ``google.oauth2.credentials.Credentials``, which refresh lazily
through the token endpoint; a refreshed token is saved back. ``search_stream``
has no retry of its own, and on a stream the library leaves every failure
(RESOURCE_EXHAUSTED, INTERNAL, and GoogleAdsFailures too) inside a
``google.api_core`` exception: the failure is read from its
``googleadsfailure-bin`` trailer.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timezone
from typing import Any

import grpc
from google.api_core import exceptions as core_exceptions
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request
from google.oauth2.credentials import Credentials

from connectors.base import AdAccount, Connector, allow_http_to_loopback, is_loopback
from connectors.errors import AuthError, ConnectorError, RateLimited, TokenExpired, TransientError
from connectors.record import CampaignDay, Click, micros, money

API_VERSION = "v26"
QUERY = """
SELECT segments.date, campaign.id, campaign.name, metrics.impressions, metrics.clicks,
       metrics.cost_micros, metrics.conversions, metrics.conversions_value,
       customer.currency_code
FROM campaign
WHERE segments.date BETWEEN '{start}' AND '{end}'
"""
# click_view answers one day per query (and only for the last 90 days).
CLICK_QUERY = """
SELECT click_view.gclid, segments.date, campaign.id, ad_group.id
FROM click_view
WHERE segments.date = '{day}'
"""
# What the choice after the OAuth sign-in shows of each accessible customer.
CUSTOMER_QUERY = """
SELECT customer.id, customer.descriptive_name, customer.currency_code, customer.manager
FROM customer
"""
AUTH_RETRYABLE = {"OAUTH_TOKEN_EXPIRED", "OAUTH_TOKEN_INVALID"}
TRANSIENT_STATUS = {
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
}


def _failure_details(exc: Exception) -> tuple[list[tuple[str, str]], float | None]:
    """(error kind, enum name) pairs and a retry delay from a GoogleAdsFailure,
    whether the library wrapped it or left it in an api_core error's trailers."""
    from google.ads.googleads.errors import GoogleAdsException
    from google.ads.googleads.v26.errors.types.errors import GoogleAdsFailure

    failure = None
    if isinstance(exc, GoogleAdsException):
        failure = exc.failure
    else:
        call = getattr(exc, "response", None)
        trailers = call.trailing_metadata() if hasattr(call, "trailing_metadata") else None
        for key, value in trailers or ():
            if key == "googleadsfailure-bin":
                failure = GoogleAdsFailure.deserialize(value)
    kinds: list[tuple[str, str]] = []
    delay: float | None = None
    for error in getattr(failure, "errors", None) or []:
        kind = type(error.error_code).pb(error.error_code).WhichOneof("error_code")
        name = getattr(error.error_code, kind).name if kind else ""
        kinds.append((kind or "", name))
        retry = error.details.quota_error_details.retry_delay if error.details else None
        if retry:  # proto-plus hands a Duration over as a timedelta
            delay = retry.total_seconds()
    return kinds, delay


class GoogleAdsConnector(Connector):
    platform = "google_ads"
    oauth_authorize_url = "https://accounts.google.com/o/oauth2/v2/auth"
    oauth_exchange_url = "https://oauth2.googleapis.com/token"
    oauth_scopes = ("https://www.googleapis.com/auth/adwords",)
    max_window_days = 90
    default_base_url = "googleads.googleapis.com"
    default_token_url = "https://oauth2.googleapis.com/token"
    restatement_days = 30

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._credentials: Credentials | None = None
        self._service: Any = None

    @property
    def customer_id(self) -> str:
        return self.external_account_id.replace("-", "")

    def credentials(self) -> Credentials:
        if self._credentials is None:
            expiry = self.secrets.get("expires_at")
            self._credentials = Credentials(
                token=self.secrets.get("access_token"),
                refresh_token=self.secrets.get("refresh_token"),
                token_uri=self.token_url,
                client_id=self.secrets.get("client_id"),
                client_secret=self.secrets.get("client_secret"),
                expiry=datetime.fromtimestamp(float(expiry), timezone.utc).replace(tzinfo=None)
                if expiry
                else None,
            )
        return self._credentials

    def _refused(self, exc: RefreshError) -> AuthError:
        reason = "invalid_grant" if "invalid_grant" in str(exc) else "refresh refused"
        return AuthError(
            f"{self.what}: the platform refused the refresh token ({reason}); reconnect the account"
        )

    def refresh_access_token(self) -> None:
        try:
            with allow_http_to_loopback(self.token_url or ""):
                self.credentials().refresh(Request())
        except RefreshError as exc:
            raise self._refused(exc) from None
        self._save_if_changed()

    def _save_if_changed(self) -> None:
        creds = self.credentials()
        if creds.token and creds.token != self.secrets.get("access_token"):
            token: dict[str, Any] = {
                "access_token": creds.token,
                "refresh_token": creds.refresh_token,
            }
            if creds.expiry:
                token["expires_at"] = creds.expiry.replace(tzinfo=timezone.utc).timestamp()
            self.store_token(token)

    def _client(self) -> Any:
        from google.ads.googleads.client import GoogleAdsClient

        return GoogleAdsClient(
            self.credentials(),
            developer_token=self.secrets.get("developer_token"),
            # the library wants digits only; people copy 123-456-7890 from the UI
            login_customer_id=str(self.settings.get("login_customer_id") or "").replace("-", "")
            or None,
            version=API_VERSION,
            use_proto_plus=True,
        )

    def _service_client(self, name: str) -> Any:
        client = self._client()
        endpoint = self.settings.get("endpoint")
        if endpoint and is_loopback(endpoint):
            return _loopback_service(client, endpoint, name)
        if endpoint:
            client.endpoint = endpoint
        return client.get_service(name, version=API_VERSION)

    def service(self) -> Any:
        if self._service is None:
            self._service = self._service_client("GoogleAdsService")
        return self._service

    def accessible_accounts(self) -> list[AdAccount]:
        """CustomerService.ListAccessibleCustomers, then each customer's name and
        currency (a query on ``customer`` in that customer)."""
        from google.ads.googleads.errors import GoogleAdsException

        def listing() -> list[str]:
            try:
                with allow_http_to_loopback(self.token_url or ""):
                    service = self._service_client("CustomerService")
                    return list(service.list_accessible_customers().resource_names)
            except (GoogleAdsException, core_exceptions.GoogleAPICallError) as exc:
                raise self._classify(exc) from None
            except RefreshError as exc:
                raise self._refused(exc) from None
            finally:
                self._save_if_changed()

        names = self.call("list_accessible_customers", listing)
        out = []
        for resource in names:
            customer_id = resource.rsplit("/", 1)[-1]
            rows = self.call("customer", lambda c=customer_id: self._search(CUSTOMER_QUERY, c))
            customer = rows[0].customer if rows else None
            out.append(
                AdAccount(
                    _dashed(customer_id),
                    customer.descriptive_name if customer else "",
                    (customer.currency_code or None) if customer else None,
                    "manager account" if customer is not None and customer.manager else None,
                )
            )
        return out

    def _stream(self, start: date, end: date) -> list[Any]:
        return self._search(QUERY.format(start=start.isoformat(), end=end.isoformat()))

    def _search(self, query: str, customer_id: str | None = None) -> list[Any]:
        from google.ads.googleads.errors import GoogleAdsException

        try:
            with allow_http_to_loopback(self.token_url or ""):
                stream = self.service().search_stream(
                    customer_id=customer_id or self.customer_id, query=query
                )
                return [row for batch in stream for row in batch.results]
        except (GoogleAdsException, core_exceptions.GoogleAPICallError) as exc:
            raise self._classify(exc) from None
        except RefreshError as exc:
            raise self._refused(exc) from None
        finally:
            self._save_if_changed()

    def _classify(self, exc: Exception) -> Exception:
        """The connector error for a failed SearchStream."""
        from google.ads.googleads.errors import GoogleAdsException

        kinds, delay = _failure_details(exc)
        if isinstance(exc, GoogleAdsException):
            status = exc.error.code()
        else:
            status = getattr(exc, "grpc_status_code", None)
        names = ", ".join(f"{k}.{n}" for k, n in kinds) or getattr(status, "name", str(status))
        if status == grpc.StatusCode.RESOURCE_EXHAUSTED or any(
            k == "quota_error" for k, _ in kinds
        ):
            return RateLimited(f"search_stream: {names}", delay)
        if any(n in AUTH_RETRYABLE for _, n in kinds):
            return TokenExpired(f"search_stream: {names}")
        if status in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED) or any(
            k in ("authentication_error", "authorization_error") for k, _ in kinds
        ):
            return AuthError(f"{self.what}: Google Ads refused access ({names})")
        if status in TRANSIENT_STATUS or any(k == "internal_error" for k, _ in kinds):
            return TransientError(f"search_stream: {names}")
        return ConnectorError(f"{self.what}: search_stream failed ({names})")

    def fetch_window(self, start: date, end: date) -> Iterator[CampaignDay]:
        rows = self.call("search_stream", lambda: self._stream(start, end))
        for row in rows:
            yield CampaignDay(
                date_day=date.fromisoformat(row.segments.date),
                platform=self.platform,
                account_id=self.external_account_id,
                campaign_id=str(row.campaign.id),
                campaign_name=row.campaign.name,
                impressions=int(row.metrics.impressions),
                clicks=int(row.metrics.clicks),
                spend=micros(row.metrics.cost_micros),
                conversions=money(row.metrics.conversions),
                conversions_value=money(row.metrics.conversions_value),
                currency_code=row.customer.currency_code,
            )


def fetch_clicks(connector: GoogleAdsConnector, start: date, end: date) -> Iterator[Click]:
    """gclid → campaign and ad group per day (click_view), for exact matching of
    paid sessions to campaigns."""
    day = start
    while day <= end:
        query = CLICK_QUERY.format(day=day.isoformat())
        rows = connector.call("click_view", lambda q=query: connector._search(q))
        for row in rows:
            yield Click(
                date_day=date.fromisoformat(row.segments.date),
                account_id=connector.external_account_id,
                gclid=row.click_view.gclid,
                campaign_id=str(row.campaign.id),
                ad_group_id=str(row.ad_group.id),
            )
        day = date.fromordinal(day.toordinal() + 1)


def _dashed(customer_id: str) -> str:
    """1234567890 → 123-456-7890, as the Google Ads UI shows customer ids."""
    digits = customer_id.replace("-", "")
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}" if len(digits) == 10 else digits


def _loopback_service(client: Any, endpoint: str, name: str = "GoogleAdsService") -> Any:
    """The library's own service client and interceptors over a channel with gRPC
    *local* credentials (loopback only), so the OAuth bearer token is sent as it
    is to Google, without TLS. Used for the local fake and nothing else."""
    from google.ads.googleads.client import _CLIENT_INFO, _GRPC_CHANNEL_OPTIONS, _logger
    from google.ads.googleads.interceptors import (
        ExceptionInterceptor,
        LoggingInterceptor,
        MetadataInterceptor,
    )
    from google.ads.googleads.v26.services.services.customer_service import (
        CustomerServiceClient,
    )
    from google.ads.googleads.v26.services.services.google_ads_service import (
        GoogleAdsServiceClient,
    )

    service_class = {
        "GoogleAdsService": GoogleAdsServiceClient,
        "CustomerService": CustomerServiceClient,
    }[name]
    transport_class = service_class.get_transport_class()
    channel = transport_class.create_channel(
        host=endpoint,
        credentials=client.credentials,
        options=_GRPC_CHANNEL_OPTIONS,
        ssl_credentials=grpc.local_channel_credentials(grpc.LocalConnectionType.LOCAL_TCP),
    )
    channel = grpc.intercept_channel(
        channel,
        MetadataInterceptor(
            client.developer_token, client.login_customer_id, client.linked_customer_id
        ),
        LoggingInterceptor(_logger, API_VERSION, endpoint),
        ExceptionInterceptor(API_VERSION, use_proto_plus=client.use_proto_plus),
    )
    return service_class(transport=transport_class(channel=channel, client_info=_CLIENT_INFO))


# What connectors.platforms registers under "google_ads".
CONNECTOR = GoogleAdsConnector
