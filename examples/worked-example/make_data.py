"""Generate the worked example's data: customer-support intent routing, deterministically.

    python examples/worked-example/make_data.py

Writes, beside this file (all three are committed; the eval set is frozen by its hash in
`stillhouse.yaml`, and this script must reproduce it byte for byte):

  data/eval.jsonl   the frozen, gold-labelled eval set (2,000 rows)  -- only for `stillhouse eval`
  data/dev.jsonl    a development split (1,000 rows)                 -- for choosing settings
  data/teacher_train.jsonl  the teacher's fine-tuning data (3,000 rows + 2,966 typo'd copies)
  data/train.jsonl  the distillation transfer set (6,000 rows + 5,941 typo'd copies) -- the student's

How the messages are made (say this plainly wherever the results are shown):

* 24 intents in 5 domains (billing, account, orders, technical, plans) plus `out_of_scope`.
  Each intent has 8-12 hand-written phrasings with slots (amounts, order numbers, products,
  dates) filled at random.
* A message is a phrasing, optionally wrapped in an opener ("hi there,") and a closer
  ("thanks"); 15% are terse keyword queries ("refund pls"), 20% are long messages that add
  a sentence of context, which sometimes mentions *another* intent's topic (a distractor,
  as real customers do: "I changed my card last week, but where is my parcel?").
* 20% get 1-3 typos (swapped, dropped, doubled or neighbouring-key letters).
* 10% are out of scope: chit-chat, other companies' products, general knowledge.
* 1.5% of gold labels are replaced by a neighbouring intent of the same domain, the way a
  tired annotator mislabels: no model can reach 100%, and teacher and student are judged
  against the same imperfect gold.

Both training files end with *typo'd copies*: after the sampled messages, a copy of every
message that has a word of four letters or more, with one to three new typos from the
same process (its own seed; ids end in `-typo`). A fifth of real traffic is misspelt; a
model that has seen each phrasing only as written reads a misspelt one by guesswork. The
eval and dev sets get no copies: they stay samples of the traffic.

The teacher and the student learn from different messages: a teacher judged on the
data it was fitted to is right almost everywhere, so a student distilled there learns the
gold labels, not the teacher's behaviour on new messages (and agrees with it less).

The eval set is drawn first, from its own seed; the other files come from
other seeds, and any message of five words or more whose text also occurs in the eval set is dropped from them,
so no eval message of five words or more is ever trained on. Terse queries ("refund",
"track order") recur verbatim in the training pool, as they recur in production traffic. The mix is a model of production traffic, not a
sample of it: the docs say so (EVAL-007).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED_EVAL, SEED_TRAIN, SEED_DEV, SEED_TEACHER = 20261101, 20261102, 20261103, 20261104
SEED_TRAIN_TYPOS, SEED_TEACHER_TYPOS = 20261105, 20261106
SIZES = {"eval": 2000, "dev": 1000, "train": 6000, "teacher_train": 3000}

PRODUCTS = ["the mobile app", "the web dashboard", "my Pro plan", "the desktop client", "the starter kit",
            "the wireless speaker", "the smart plug", "my annual subscription", "the family plan", "the camera"]
AMOUNTS = ["$9.99", "$14.50", "$29", "$49.00", "$120", "$4.99", "$75", "$199"]
DATES = ["yesterday", "last week", "on Monday", "on the 3rd", "two days ago", "this morning", "last month"]


def _order(rng: random.Random) -> str:
    return f"#{rng.randint(100000, 999999)}"


# intent -> (domain, phrasings). {p} product, {a} amount, {o} order number, {d} date.
INTENTS: dict[str, tuple[str, list[str]]] = {
    "billing_double_charge": ("billing", [
        "I was charged twice for {p}", "there are two charges of {a} on my card", "you billed me double {d}",
        "why did I get charged {a} twice", "duplicate payment on my statement for {p}",
        "my card shows the same charge two times", "I see a second charge of {a} that I did not make",
        "charged twice this month, please fix"]),
    "billing_refund": ("billing", [
        "I want a refund for {p}", "can I get my money back for {p}", "please refund the {a} you took {d}",
        "how do I request a refund", "I would like to be refunded for my last payment",
        "refund the charge for {p}", "when will I get my refund of {a}", "the refund you promised never came"]),
    "billing_invoice": ("billing", [
        "I need an invoice for {d}", "can you send me a receipt for {a}", "where can I download my invoices",
        "please email me the invoice for {p}", "my company needs a VAT invoice", "I can't find the receipt for my order {o}",
        "send a copy of my billing statement", "the invoice has the wrong company name"]),
    "billing_payment_method": ("billing", [
        "how do I update my credit card", "I want to change my payment method", "my card expired, where do I add a new one",
        "can I pay with PayPal instead", "remove my old card from the account", "the payment failed because my card is new",
        "add a different card for {p}", "switch billing to my business card"]),
    "billing_cancel_subscription": ("billing", [
        "cancel my subscription", "I want to stop paying for {p}", "please end my membership",
        "how do I cancel auto renewal", "stop charging me every month", "I no longer want {p}, cancel it",
        "turn off the recurring payment", "cancel before the next billing date"]),
    "account_reset_password": ("account", [
        "I forgot my password", "how do I reset my password", "the password reset email never arrives",
        "I need a new password", "reset link says it expired", "can't remember my password for {p}",
        "change my password please", "password reset is not working"]),
    "account_change_email": ("account", [
        "I want to change my email address", "update the email on my account", "how do I use a different email to log in",
        "my old email is closed, please change it", "switch my account email to my work address",
        "can I change the email I signed up with", "the email on file is wrong", "move my account to a new email"]),
    "account_delete": ("account", [
        "delete my account", "I want all my data removed", "please close my account permanently",
        "how do I erase my profile", "remove my account and personal data", "I want to delete everything you have about me",
        "close my account for good", "GDPR request to delete my data"]),
    "account_locked": ("account", [
        "my account is locked", "it says my account has been suspended", "I'm locked out after too many attempts",
        "why was my account blocked", "unlock my account please", "account disabled without warning",
        "I can't get in, it says account locked", "you suspended my account {d}"]),
    "account_two_factor": ("account", [
        "how do I turn on two factor authentication", "I lost my phone and can't get the 2FA code",
        "the verification code never arrives", "disable two-step verification", "set up an authenticator app",
        "my security code is not accepted", "I changed phones and lost my 2FA", "enable 2FA on my account"]),
    "order_track": ("orders", [
        "where is my order {o}", "track my package", "my parcel hasn't arrived yet", "when will order {o} be delivered",
        "the tracking number doesn't work", "has my order shipped", "what is the status of my delivery",
        "it's been a week and no package"]),
    "order_cancel": ("orders", [
        "cancel my order {o}", "I ordered by mistake, please cancel", "stop my order before it ships",
        "can I still cancel order {o}", "I don't want the order I placed {d}", "please cancel the purchase of {p}",
        "cancel the order, I found it cheaper", "how do I cancel an order"]),
    "order_change_address": ("orders", [
        "change the delivery address for order {o}", "I moved, send my order to my new address",
        "wrong shipping address on my order", "can you deliver to my office instead", "update the address on order {o}",
        "I typed the wrong street number", "ship it to a different address please", "redirect my parcel"]),
    "order_damaged": ("orders", [
        "my order arrived damaged", "the box was crushed and {p} is broken", "item {o} came broken",
        "the screen was cracked when it arrived", "package arrived wet and ruined", "received a defective {p}",
        "parts are missing and the case is scratched", "the product is damaged"]),
    "order_return": ("orders", [
        "how do I return {p}", "I want to send my order back", "what is your return policy",
        "print a return label for order {o}", "can I exchange it for another size", "return {p}, it doesn't fit",
        "I need a return shipping label", "is it too late to return order {o}"]),
    "tech_app_crash": ("technical", [
        "the app keeps crashing", "{p} closes as soon as I open it", "app crashes after the update",
        "it freezes and then quits", "the program crashes when I upload a file", "{p} stopped working {d}",
        "every time I tap settings it crashes", "force closes on startup"]),
    "tech_login_error": ("technical", [
        "I get an error when I log in", "login page shows error 500", "the sign in button does nothing",
        "it says invalid session when I sign in", "can't log in to {p}, error code 403", "login keeps spinning forever",
        "error message on the login screen", "single sign on fails with an error"]),
    "tech_sync": ("technical", [
        "my files are not syncing", "changes don't show up on my other devices", "sync is stuck at 99%",
        "{p} won't sync with my phone", "data is out of date between devices", "sync stopped {d}",
        "my photos aren't syncing", "it says sync conflict"]),
    "tech_notifications": ("technical", [
        "I don't get any notifications", "push notifications stopped", "too many email alerts, how do I turn them off",
        "notifications arrive hours late", "how do I mute alerts from {p}", "no sound for notifications",
        "I get notified twice for everything", "turn off the reminder emails"]),
    "tech_slow": ("technical", [
        "the app is very slow", "{p} takes forever to load", "pages load really slowly since {d}",
        "everything lags", "the dashboard is so slow it's unusable", "why is {p} so sluggish",
        "loading takes more than a minute", "performance got worse after the update"]),
    "plan_upgrade": ("plans", [
        "I want to upgrade my plan", "how do I get the Pro features", "upgrade to the business plan",
        "can I add more seats to my team", "move me to the premium tier", "what do I get if I upgrade",
        "I need more storage, upgrade me", "switch me to a bigger plan"]),
    "plan_downgrade": ("plans", [
        "downgrade me to the free plan", "I want a cheaper plan", "switch to the basic tier",
        "remove the extra seats from my plan", "go back to the starter plan", "I don't need Pro anymore, downgrade",
        "can I move to a smaller plan", "reduce my plan to the minimum"]),
    "plan_pricing": ("plans", [
        "how much does the Pro plan cost", "what are your prices", "is there a student discount",
        "do you offer a free trial", "compare the plans for me", "price for ten users",
        "is there a discount for paying yearly", "how much is the family plan"]),
    "plan_features": ("plans", [
        "does the basic plan include offline mode", "which plan has priority support", "can the free plan share files",
        "what features are in the business tier", "is API access included in Pro", "does my plan include backups",
        "what are the limits of the starter plan", "which plan lets me add guests"]),
}

OUT_OF_SCOPE = [
    "what's the weather tomorrow", "tell me a joke", "who won the game last night", "how do I boil an egg",
    "what is the capital of Australia", "recommend a good movie", "can you help with my homework",
    "how tall is mount everest", "set an alarm for 7am", "translate hello into spanish",
    "what time is it in tokyo", "my neighbour's dog keeps barking", "how do I cancel my gym membership",
    "is my bank open on sunday", "order me a pizza", "what is the meaning of life", "book a flight to paris",
    "how do I fix my car's brakes", "what's a good name for a cat", "who is the president of france",
    "how do I reset my router from my internet provider", "where can I buy cheap shoes", "play some music",
    "what should I cook for dinner", "how many calories in an apple", "are you a robot",
]

SHORT = {
    "billing_double_charge": ["double charge", "charged twice", "two charges"],
    "billing_refund": ["refund pls", "refund", "money back"],
    "billing_invoice": ["invoice", "need receipt", "invoice copy"],
    "billing_payment_method": ["update card", "new card", "change payment"],
    "billing_cancel_subscription": ["cancel subscription", "stop subscription", "end membership"],
    "account_reset_password": ["forgot password", "password reset", "reset password"],
    "account_change_email": ["change email", "new email address", "update email"],
    "account_delete": ["delete account", "remove my data", "close account"],
    "account_locked": ["account locked", "locked out", "unlock account"],
    "account_two_factor": ["2fa", "two factor", "verification code"],
    "order_track": ["where's my order", "track order", "tracking"],
    "order_cancel": ["cancel order", "cancel my purchase", "stop order"],
    "order_change_address": ["change address", "wrong address", "new delivery address"],
    "order_damaged": ["arrived broken", "damaged item", "broken on arrival"],
    "order_return": ["return item", "return label", "returns"],
    "tech_app_crash": ["app crashes", "keeps crashing", "crash"],
    "tech_login_error": ["login error", "can't sign in error", "error 500 login"],
    "tech_sync": ["not syncing", "sync broken", "sync issue"],
    "tech_notifications": ["no notifications", "notifications", "mute alerts"],
    "tech_slow": ["so slow", "app slow", "lagging"],
    "plan_upgrade": ["upgrade", "upgrade plan", "go pro"],
    "plan_downgrade": ["downgrade", "cheaper plan", "downgrade plan"],
    "plan_pricing": ["pricing", "how much", "prices"],
    "plan_features": ["plan features", "what's included", "feature list"],
    "out_of_scope": ["weather", "tell joke", "pizza", "hello?", "what's up", "music"],
}

OPENERS = ["", "", "hi,", "hello,", "hey there,", "good morning,", "quick question:", "hi team,", "urgent:"]
CLOSERS = ["", "", "thanks", "thank you", "please help", "asap please", "cheers", "thanks in advance", "any idea?"]
CONTEXT = [
    "I've been a customer for three years and never had a problem before.",
    "I already tried restarting my phone and logging out and back in.",
    "This is the second time I'm writing about this and nobody answered.",
    "My manager asked me to sort this out today.",
    "I'm on holiday right now so I only have my phone.",
    "Your chatbot sent me here.",
]
# A sentence that mentions another domain's topic: the message's intent is still its own.
DISTRACTORS = {
    "billing": "I paid with my new card last week, which worked fine.",
    "account": "I also changed my password recently, if that matters.",
    "orders": "My last order arrived fine, by the way.",
    "technical": "The app has been a bit slow lately, but that's not why I'm writing.",
    "plans": "I'm on the Pro plan, in case that's relevant.",
}
NEIGHBOURS = {
    "billing_refund": "billing_cancel_subscription", "billing_cancel_subscription": "plan_downgrade",
    "billing_double_charge": "billing_refund", "billing_invoice": "billing_payment_method",
    "billing_payment_method": "billing_invoice", "account_reset_password": "account_locked",
    "account_locked": "tech_login_error", "account_change_email": "account_reset_password",
    "account_delete": "billing_cancel_subscription", "account_two_factor": "account_locked",
    "order_track": "order_change_address", "order_cancel": "order_return", "order_change_address": "order_track",
    "order_damaged": "order_return", "order_return": "billing_refund", "tech_app_crash": "tech_slow",
    "tech_login_error": "account_locked", "tech_sync": "tech_slow", "tech_notifications": "tech_app_crash",
    "tech_slow": "tech_app_crash", "plan_upgrade": "plan_pricing", "plan_downgrade": "billing_cancel_subscription",
    "plan_pricing": "plan_features", "plan_features": "plan_pricing",
}
LABELS = sorted(INTENTS) + ["out_of_scope"]
KEYBOARD = {c: n for c, n in zip("qwertyuiopasdfghjklzxcvbnm", "wertyuiopqsdfghjklaxcvbnmz")}


def typo(word: str, rng: random.Random) -> str:
    """One realistic slip of the finger in a word of 4+ letters."""
    w = list(word)
    i = rng.randrange(1, len(w) - 1)
    kind = rng.choice(["swap", "drop", "double", "neighbour"])
    if kind == "swap":
        w[i], w[i + 1] = w[i + 1], w[i]
    elif kind == "drop":
        del w[i]
    elif kind == "double":
        w.insert(i, w[i])
    else:
        w[i] = KEYBOARD.get(w[i].lower(), w[i])
    return "".join(w)


def fill(template: str, rng: random.Random) -> str:
    return template.format(p=rng.choice(PRODUCTS), a=rng.choice(AMOUNTS), o=_order(rng), d=rng.choice(DATES))


def message(rng: random.Random) -> dict:
    """One customer message with its gold label and the columns the slices read."""
    oos = rng.random() < 0.10
    label = "out_of_scope" if oos else rng.choice(sorted(INTENTS))
    domain = "out_of_scope" if oos else INTENTS[label][0]
    style = rng.choices(["short", "normal", "long"], weights=[15, 65, 20])[0]
    if style == "short":
        text = rng.choice(SHORT[label])
    else:
        core = rng.choice(OUT_OF_SCOPE) if oos else fill(rng.choice(INTENTS[label][1]), rng)
        parts = [rng.choice(OPENERS), core, rng.choice(CLOSERS)]
        if style == "long":
            others = [d for d in DISTRACTORS if d != domain]
            extra = [rng.choice(CONTEXT), rng.choice(CONTEXT)]
            if rng.random() < 0.5:
                extra[1] = DISTRACTORS[rng.choice(others)]
            parts = [parts[0], extra[0], core + ".", extra[1], parts[2]]
        text = " ".join(p for p in parts if p)
    if rng.random() < 0.5:
        text = text[0].upper() + text[1:]
    has_typo = False
    if rng.random() < 0.20:
        words = text.split(" ")
        cand = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
        if cand:
            for i in rng.sample(cand, min(len(cand), rng.randint(1, 3))):
                words[i] = typo(words[i], rng)
            text, has_typo = " ".join(words), True
    gold = label
    if not oos and rng.random() < 0.015:
        gold = NEIGHBOURS[label]  # annotator error: kept, and documented
    return {"text": text, "label": gold, "domain": domain, "style": style, "has_typo": has_typo,
            "words": len(text.split())}


def make(n: int, seed: int, prefix: str, exclude: set[str]) -> list[dict]:
    rng = random.Random(seed)
    rows: list[dict] = []
    while len(rows) < n:
        row = message(rng)
        if row["words"] >= 5 and row["text"].lower() in exclude:
            continue
        rows.append({"id": f"{prefix}-{len(rows):05d}", **row})
    return rows


def with_typo_copies(rows: list[dict], seed: int, exclude: set[str]) -> list[dict]:
    """``rows`` followed by a copy of each with one to three new typos (training data only).
    A message without a word of four letters or more has nothing to misspell and gets no
    copy; nor does a copy of five words or more that happens to equal an eval message."""
    rng = random.Random(seed)
    copies = []
    for r in rows:
        words = r["text"].split(" ")
        cand = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
        if not cand:
            continue
        for i in rng.sample(cand, min(len(cand), rng.randint(1, 3))):
            words[i] = typo(words[i], rng)
        text = " ".join(words)
        if len(words) >= 5 and text.lower() in exclude:
            continue
        copies.append({**r, "id": f"{r['id']}-typo", "text": text, "has_typo": True})
    return rows + copies


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows), encoding="utf-8")


def main(out: Path = HERE / "data") -> None:
    eval_rows = make(SIZES["eval"], SEED_EVAL, "eval", exclude=set())
    frozen = {r["text"].lower() for r in eval_rows}
    train = with_typo_copies(make(SIZES["train"], SEED_TRAIN, "train", exclude=frozen), SEED_TRAIN_TYPOS, frozen)
    dev = make(SIZES["dev"], SEED_DEV, "dev", exclude=frozen)
    teacher_train = with_typo_copies(make(SIZES["teacher_train"], SEED_TEACHER, "tt", exclude=frozen),
                                     SEED_TEACHER_TYPOS, frozen)
    for name, rows in (("eval", eval_rows), ("dev", dev), ("train", train), ("teacher_train", teacher_train)):
        write_jsonl(out / f"{name}.jsonl", rows)
    print(f"wrote {out}: eval {len(eval_rows)}, dev {len(dev)}, train {len(train)}, "
          f"teacher_train {len(teacher_train)} rows; "
          f"{len(LABELS)} labels ({len(INTENTS)} intents + out_of_scope)")


if __name__ == "__main__":
    main()
