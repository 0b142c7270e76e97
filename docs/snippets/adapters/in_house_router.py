"""An in-house model behind a plain Python function: the `callable` adapter's contract.

The harness calls the function with a list of inputs (the eval set's input column, in
batches) and expects one output per input, in the same order: for classification, a
label from the manifest's `labels`.
"""

from __future__ import annotations

KEYWORDS = {
    "billing": ("invoice", "refund", "charge", "bill", "payment"),
    "shipping": ("parcel", "delivery", "shipping", "package", "tracking"),
    "account": ("password", "account", "login", "user", "email address"),
}


def predict(inputs: list[str]) -> list[str]:
    """Route each ticket by keywords; anything unmatched goes to `technical`."""
    out = []
    for text in inputs:
        lowered = text.lower()
        label = next((lab for lab, words in KEYWORDS.items() if any(w in lowered for w in words)), "technical")
        out.append(label)
    return out
