"""Which codes count as the same when two or more coders' layers are compared: a code is its own
key, unless people confirmed it aligned with other coders' codes (CodeAlignment); then all the
codes joined by alignments, directly or through each other, share one key (the lowest primary key
among them, so the key is stable)."""

from coding.models import CodeAlignment
from studies.models import Study


def code_keys(study: Study) -> dict[int, int]:
    """Every aligned code's key, by primary key; a code not in the result is its own key."""
    parent: dict[int, int] = {}

    def root(code: int) -> int:
        while parent.get(code, code) != code:
            parent[code] = parent.get(parent[code], parent[code])  # halve the path
            code = parent[code]
        return code

    for a, b in CodeAlignment.objects.filter(study=study).values_list("code_a", "code_b"):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {code: root(code) for code in parent}


def key_of(keys: dict[int, int], code: int) -> int:
    return keys.get(code, code)
