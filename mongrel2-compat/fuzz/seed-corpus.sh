#!/usr/bin/env bash
# Seeds the fuzz corpora with the real Mongrel2 frames under fixtures/mongrel2-captures:
# request frames for `request` and `tnetstring` (a request's headers and body are tnetstrings too),
# the JSON header objects cut out of the JSON request frames for `json_headers`, and reply frames
# for `reply`. Corpus dirs are gitignored; re-run after the captures change.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
captures="$here/../../fixtures/mongrel2-captures"
corpus="$here/corpus"
mkdir -p "$corpus"/{request,tnetstring,json_headers,reply}

for f in "$captures"/*/*m2-to-handler*.bin; do
    name="$(basename "$(dirname "$f")")-$(basename "$f")"
    cp "$f" "$corpus/request/$name"
    # The HEADERS field onwards: SENDER SP ID SP PATH SP <here>, cut out byte-exactly.
    skip="$(head -n 1 "$f" | cut -d' ' -f1-3 | wc -c)"
    tail -c +$((skip + 1)) "$f" > "$corpus/tnetstring/$name"
    # The JSON object inside a JSON HEADERS netstring (LEN:{...},).
    prefix="$(head -c 12 "$corpus/tnetstring/$name" | tr -d '\000')"
    if [[ "$prefix" =~ ^([0-9]+):\{ ]]; then
        len="${BASH_REMATCH[1]}"
        tail -c +$((${#len} + 2)) "$corpus/tnetstring/$name" | head -c "$len" > "$corpus/json_headers/$name"
    fi
done
for f in "$captures"/*/*handler-to-m2*.bin; do
    cp "$f" "$corpus/reply/$(basename "$(dirname "$f")")-$(basename "$f")"
done
for target in request tnetstring json_headers reply; do
    echo "$target: $(find "$corpus/$target" -type f | wc -l) seeds"
done
