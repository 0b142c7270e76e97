"""The student's layers and the teacher's: which teacher layer each student layer stands for,
the student's initial weights taken from the teacher (DistilBERT), and the layer-wise loss
(TinyBERT's hidden states with a learned projection; attention where the heads match).

Layers are numbered as transformers numbers `hidden_states`: 0 is the embedding layer's
output, 1..n the transformer layers. Student layer i of m stands for teacher layer
round(i * n / m) of n: the embeddings for the embeddings, the last layer for the last, and
the layers between spread evenly (2 of 6: teacher layers 3 and 6).
"""

from __future__ import annotations

import re
from typing import Any

from .._errors import InputError


def layer_map(student_layers: int, teacher_layers: int) -> list[int]:
    """Teacher layer for each student layer 0..m (0: the embeddings)."""
    return [round(i * teacher_layers / student_layers) for i in range(student_layers + 1)]


# --- initialisation from the teacher ----------------------------------------------------------

#: The index of a transformer layer in a parameter name (`bert.encoder.layer.3.attention...`).
_LAYER = re.compile(r"(\.layers?\.|\.h\.)(\d+)\.")
#: Embedding tables whose rows are positions or token types: projected like the word embeddings.
_EMBEDDING_TABLES = ("position_embeddings.weight", "token_type_embeddings.weight")


def init_from_teacher(student: Any, teacher: Any, student_vocab: dict[str, int],
                      teacher_vocab: dict[str, int]) -> dict[str, Any]:
    """Copy into ``student`` every teacher weight its shapes allow, in place, and say what was done.

    * Word embeddings: the teacher's row of each student word piece (the student's vocabulary
      is the teacher's, or a pruning of it). When the widths differ, those rows projected onto
      the first d_s principal components of the teacher's whole (centred) word-embedding
      table; position and token-type tables go through the same projection, so their sum
      (which the embedding layer normalises) is the projection of the teacher's sum.
    * Every other tensor of the same name and shape, student layer i from teacher layer
      `layer_map(m, n)[i]`: attention, feed-forward and norms when the widths match, the pooler,
      and the classifier when the label sets and widths match.

    Only between models of one `model_type` (the names must mean the same thing); otherwise
    only the word embeddings are taken. Returns {"copied": [...], "projected": [...],
    "kept_random": [...], "layers": {student layer: teacher layer}}."""
    import torch

    s_cfg, t_cfg = student.config, teacher.config
    s_emb, t_emb = student.get_input_embeddings().weight, teacher.get_input_embeddings().weight   # (Vs, ds), (Vt, dt)
    ds, dt = s_emb.shape[1], t_emb.shape[1]
    rows = torch.tensor([teacher_vocab[p] for p, _ in sorted(student_vocab.items(), key=lambda kv: kv[1])])
    t_words = t_emb.detach().float()
    mean = t_words.mean(0)                                                       # (dt,)
    if ds == dt:
        project = None
    else:
        # The first ds principal directions of the teacher's word embeddings: (dt, ds).
        _, _, v = torch.linalg.svd(t_words - mean, full_matrices=False)
        project = v[:min(ds, dt)].T
        if ds > dt:
            raise InputError(f"stillhouse.yaml: distillation.student.hidden_size: expected at most {dt}, the "
                             f"teacher's width (the student starts from the teacher's embeddings); found {ds}")
    done: dict[str, Any] = {"copied": [], "projected": [], "kept_random": [], "layers": {}}
    same_type = getattr(s_cfg, "model_type", None) == getattr(t_cfg, "model_type", None)
    s_layers = getattr(s_cfg, "num_hidden_layers", 0)
    t_layers = getattr(t_cfg, "num_hidden_layers", 0)
    mapping = layer_map(s_layers, t_layers) if s_layers and t_layers and s_layers <= t_layers else None
    t_state = teacher.state_dict()
    word_name = next(n for n, p in student.named_parameters() if p is student.get_input_embeddings().weight)
    with torch.no_grad():
        for name, param in student.named_parameters():
            if name == word_name:
                src = t_words[rows]                                              # (Vs, dt)
                if project is None:
                    param.copy_(src)
                    done["copied"].append(name)
                else:
                    param.copy_((src - mean) @ project)                          # (Vs, ds)
                    done["projected"].append(name)
                continue
            if not same_type:
                done["kept_random"].append(name)
                continue
            t_name = name
            m = _LAYER.search(name)
            if m is not None:
                if mapping is None:
                    done["kept_random"].append(name)
                    continue
                j = mapping[int(m.group(2)) + 1] - 1                               # transformer layers count from 1
                t_name = name[:m.start(2)] + str(j) + name[m.end(2):]
                done["layers"][int(m.group(2)) + 1] = j + 1
            src = t_state.get(t_name)
            if src is not None and tuple(src.shape) == tuple(param.shape):
                param.copy_(src)
                done["copied"].append(name)
            elif (src is not None and project is not None and name.endswith(_EMBEDDING_TABLES)
                  and src.shape[0] >= param.shape[0] and src.shape[1] == dt):
                param.copy_(src[:param.shape[0]].float() @ project)                 # (rows, ds)
                done["projected"].append(name)
            else:
                done["kept_random"].append(name)
    return done


# --- the layer-wise loss -------------------------------------------------------------------------


def build_layerwise(student: Any, teacher: Any, settings: Any) -> Any:
    """The layer-wise loss module for ``student`` and ``teacher`` (a `torch.nn.Module` whose
    projections train with the student and are dropped after training)."""
    import torch
    from torch import nn

    s_cfg, t_cfg = student.config, teacher.config
    ds, dt = s_cfg.hidden_size, t_cfg.hidden_size
    mapping = layer_map(s_cfg.num_hidden_layers, t_cfg.num_hidden_layers)
    attention = bool(settings.attention) and s_cfg.num_attention_heads == t_cfg.num_attention_heads

    class LayerwiseLoss(nn.Module):
        """hidden    = mean over mapped layers k of MSE(W_k h_s[k], h_t[map[k]])   over real tokens
        attention = mean over student layers i of MSE(a_s[i], a_t[map[i]])       over real query/key pairs"""

        def __init__(self) -> None:
            super().__init__()
            self.mapping = mapping
            self.hidden = bool(settings.hidden)
            self.attention = attention
            # One projection per student layer, from its width to the teacher's (TinyBERT's W_h).
            self.proj = nn.ModuleList(nn.Linear(ds, dt, bias=False) for _ in mapping) if ds != dt else None

        def forward(self, s_out: Any, t_out: Any, mask: Any) -> tuple[Any, Any]:
            m = mask.unsqueeze(-1).float()                                       # (B, S, 1)
            tokens = m.sum().clamp_min(1)
            hidden = torch.zeros(())
            if self.hidden:
                for k, j in enumerate(self.mapping):
                    hs = s_out.hidden_states[k]                                  # (B, S, ds)
                    ht = t_out.hidden_states[j]                                  # (B, S, dt)
                    if self.proj is not None:
                        hs = self.proj[k](hs)                                    # (B, S, dt)
                    hidden = hidden + (((hs - ht) ** 2) * m).sum() / (tokens * dt)
                hidden = hidden / len(self.mapping)
            att = torch.zeros(())
            if self.attention:
                pair = (mask.unsqueeze(-1) * mask.unsqueeze(-2)).unsqueeze(1).float()   # (B, 1, S, S)
                for i, j in enumerate(self.mapping[1:]):
                    a_s, a_t = s_out.attentions[i], t_out.attentions[j - 1]      # (B, H, S, S)
                    att = att + (((a_s - a_t) ** 2) * pair).sum() / (pair.sum() * a_s.shape[1]).clamp_min(1)
                att = att / (len(self.mapping) - 1)
            return hidden, att

    return LayerwiseLoss()


def skipped_attention(student: Any, teacher: Any, settings: Any) -> str | None:
    """Why attention is not matched (None: it is)."""
    if not settings.attention:
        return "off in the settings"
    hs, ht = student.config.num_attention_heads, teacher.config.num_attention_heads
    if hs != ht:
        return f"the student has {hs} attention heads per layer and the teacher {ht}: no head to match head by head"
    return None
