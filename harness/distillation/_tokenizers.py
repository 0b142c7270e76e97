"""The student's tokenizer: the teacher's, or the teacher's pruned to the word pieces the
training inputs use, and the check that a student reads text exactly as its teacher does."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from .._errors import AdapterError


def tokenizer_json(folder: Path, role: str) -> dict[str, Any]:
    p = folder / "tokenizer.json"
    if not p.is_file():
        raise AdapterError(f"{folder}: expected a fast tokenizer (tokenizer.json) for the {role}; found none")
    return json.loads(p.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def tokenizer_mismatch(teacher: dict[str, Any], student: dict[str, Any]) -> list[str]:
    """Why the student does not read text the way the teacher does (empty: it does).

    The student must use the teacher's tokenizer or a pruning of its vocabulary: same
    normalisation, same pre-tokenisation, same algorithm and special tokens, and every
    student word piece a teacher word piece. Then both see the same text the same way,
    and the soft labels mean what they say."""
    out = []
    for key in ("normalizer", "pre_tokenizer"):
        if teacher.get(key) != student.get(key):
            out.append(f"{key} differs (teacher {json.dumps(teacher.get(key))[:120]}; "
                       f"student {json.dumps(student.get(key))[:120]})")
    tm, sm = teacher.get("model", {}), student.get("model", {})
    for key in ("type", "unk_token", "continuing_subword_prefix"):
        if tm.get(key) != sm.get(key):
            out.append(f"model.{key} differs (teacher {tm.get(key)!r}; student {sm.get(key)!r})")
    specials_t = {a["content"] for a in teacher.get("added_tokens", []) if a.get("special")}
    specials_s = {a["content"] for a in student.get("added_tokens", []) if a.get("special")}
    if specials_t != specials_s:
        out.append(f"special tokens differ (teacher {sorted(specials_t)}; student {sorted(specials_s)})")
    tv, sv = tm.get("vocab"), sm.get("vocab")
    if isinstance(tv, dict) and isinstance(sv, dict):
        foreign = [t for t in sv if t not in tv]
        if foreign:
            out.append(f"{len(foreign)} student word piece(s) are not in the teacher's vocabulary, e.g. {foreign[:5]}")
    elif tv != sv:
        out.append("the vocabularies cannot be compared")
    return out


def prune_vocabulary(teacher: dict[str, Any], texts: list[str]) -> dict[str, Any]:
    """The teacher's WordPiece tokenizer, keeping only the word pieces ``texts`` use, the
    special tokens, and every single ASCII character (with and without `##`), so any text
    still tokenizes. Ids are renumbered in the teacher's order."""
    from tokenizers import Tokenizer

    if teacher.get("model", {}).get("type") != "WordPiece":
        raise AdapterError("distillation.student.vocabulary `pruned` needs a WordPiece teacher tokenizer; "
                           f"found {teacher.get('model', {}).get('type')!r} (use `vocabulary: teacher`)")
    tok = Tokenizer.from_str(json.dumps(teacher))
    tok.no_padding()
    tok.no_truncation()
    used = {i for enc in tok.encode_batch(texts) for i in enc.ids}
    vocab: dict[str, int] = teacher["model"]["vocab"]
    prefix = teacher["model"].get("continuing_subword_prefix", "##")
    specials = {a["content"] for a in teacher.get("added_tokens", [])}

    def keep(piece: str, i: int) -> bool:
        bare = piece[len(prefix):] if piece.startswith(prefix) else piece
        return i in used or piece in specials or (len(bare) == 1 and bare.isascii())

    kept = [p for p, i in sorted(vocab.items(), key=lambda kv: kv[1]) if keep(p, i)]
    new_ids = {p: n for n, p in enumerate(kept)}
    out = json.loads(json.dumps(teacher))
    out["model"]["vocab"] = new_ids
    out["padding"] = None
    out["truncation"] = None
    for a in out.get("added_tokens", []):
        a["id"] = new_ids[a["content"]]
    pp = out.get("post_processor") or {}
    for spec in (pp.get("special_tokens") or {}).values():
        spec["ids"] = [new_ids[t] for t in spec["tokens"]]
    return out  # type: ignore[no-any-return]


def write_tokenizer(tokenizer_json: dict[str, Any], teacher_dir: Path, out: Path, max_length: int) -> None:
    """A tokenizer folder: the tokenizer.json, a vocab.txt in id order, and the teacher's
    tokenizer settings (lower-casing, special tokens)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "tokenizer.json").write_text(json.dumps(tokenizer_json, ensure_ascii=False, indent=1) + "\n",
                                        encoding="utf-8")
    vocab = tokenizer_json["model"]["vocab"]
    (out / "vocab.txt").write_text("".join(p + "\n" for p, _ in sorted(vocab.items(), key=lambda kv: kv[1])),
                                   encoding="utf-8")
    cfg_file = teacher_dir / "tokenizer_config.json"
    cfg = json.loads(cfg_file.read_text(encoding="utf-8")) if cfg_file.is_file() else {}
    cfg.pop("name_or_path", None)
    cfg["model_max_length"] = max_length
    (out / "tokenizer_config.json").write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if (teacher_dir / "special_tokens_map.json").is_file():
        shutil.copyfile(teacher_dir / "special_tokens_map.json", out / "special_tokens_map.json")
