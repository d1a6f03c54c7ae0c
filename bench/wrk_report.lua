-- wrk script: after the run, print one line "WRK_JSON {...}" with the latency
-- distribution (microseconds), request count and errors, for bench/http_load.py to parse.
local quantiles = { 50, 75, 90, 95, 99, 99.9 }

done = function(summary, latency, requests)
  local parts = {}
  for _, q in ipairs(quantiles) do
    parts[#parts + 1] = string.format('"%s": %d', tostring(q), latency:percentile(q))
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"min": %d, "max": %d, "mean": %.1f, "stdev": %.1f, ' ..
    '"percentiles": {%s}}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.max, latency.mean, latency.stdev,
    table.concat(parts, ", ")))
end
