#!/bin/sh
# A live subscription with curl: the current state, then a new one after every change (Ctrl-C ends it).
STATS="${STATS:-http://localhost:8001}"
curl -sN -H 'accept: text/event-stream' -G "$STATS/graphql" \
  --data-urlencode "query=subscription { stats(account: \"acme\", event: \"pageview\", year: $(date -u +%Y)) { total } }"
