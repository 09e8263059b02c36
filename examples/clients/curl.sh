#!/bin/sh
# One-shot reads with curl. STATS is the server's base URL.
STATS="${STATS:-http://localhost:8001}"
YEAR=$(date -u +%Y)

# GraphQL, as a GET (a POST with a JSON body works too)
curl -sG "$STATS/graphql" \
  --data-urlencode "query={ stats(account: \"acme\", event: \"pageview\", year: $YEAR) { total } }"
echo
# The legacy REST route, then the same answer as JSONP
curl -s "$STATS/api/stats/track/acme/pageview/$YEAR"
echo
curl -s "$STATS/api/stats/track/acme/pageview/$YEAR?callback=showStats"
echo
