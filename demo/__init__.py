"""The demo: simulated traffic with known answers (simulator, ground truth), a
demo shop with the tag, local fakes of the ad platforms, and ``touchline demo``'s
walk through the whole pipeline. It sits above the orchestration: nothing below
imports it."""
