#!/usr/bin/env python3
# The PyTorch reference of bench/train.ts: the same two-tower model as gpu-jobs/model (cpu preset,
# fusion item tower, shared query tower, patch CNN, MLM and MPM heads), the same stage-2 objective
# as gpu-jobs/train/pretrain-loss.ts (0.5 MLM + 0.5 contrastive MPM + 0.5 QIC (AM-Softmax) + QIM
# (seed 001 eq. 3: logQ-corrected in-batch softmax + memory bank) + 0.5 QIM2), Adam with global-norm
# clipping, on the very batches bench/train.ts exported. It measures training throughput only.
#
# Usage: python3 bench/train-torch.py --batches DIR --steps N --threads T  → one JSON line on stdout.
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--batches", required=True)
p.add_argument("--steps", type=int, default=20)
p.add_argument("--warmup", type=int, default=3)
p.add_argument("--threads", type=int, default=2)
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(1)

with open(os.path.join(args.batches, "manifest.json")) as f:
    man = json.load(f)
cfg = man["model"]
tcfg = man["train"]
H, V, L, NH, FFN, DIM = cfg["hidden"], cfg["vocabSize"], cfg["layers"], cfg["heads"], cfg["ffn"], cfg["dim"]
LT, LQ, P, S = cfg["maxTitleLen"], cfg["maxQueryLen"], cfg["patchGrid"] ** 2, cfg["patchSize"]
C1, C2 = cfg["cnnChannels"]
DROP = cfg["dropout"]
B = man["batchSize"]


def load(i, name, dtype, shape):
    a = np.fromfile(os.path.join(args.batches, f"{i}-{name}.bin"), dtype=dtype).reshape(shape)
    return torch.from_numpy(a.copy())


batches = []
for i in range(man["count"]):
    batches.append(
        {
            "q": load(i, "queryTokens", np.int32, (B, LQ)).long(),
            "t": load(i, "titleTokens", np.int32, (B, LT)).long(),
            "ql": load(i, "queryLabels", np.int32, (B, LQ)).long(),
            "qm": load(i, "queryMask", np.float32, (B, LQ)),
            "tl": load(i, "titleLabels", np.int32, (B, LT)).long(),
            "tm": load(i, "titleMask", np.float32, (B, LT)),
            "patches": load(i, "patches", np.float32, (B, P, S * S * 3)),
            "im": load(i, "imageMask", np.float32, (B,)),
            "mp": load(i, "maskedPatches", np.float32, (B, P)),
            "items": load(i, "items", np.int32, (B,)).long(),
            "logq": load(i, "logQ", np.float32, (B,)),
        }
    )


def param(*shape, std=0.02, zeros=False, ones=False):
    if zeros:
        t = torch.zeros(*shape)
    elif ones:
        t = torch.ones(*shape)
    else:
        t = torch.randn(*shape) * std
    return torch.nn.Parameter(t)


def ln_params(w):
    return [param(w, ones=True), param(w, zeros=True)]


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        pl = []
        self.token = param(V, H)
        self.modality = param(2, H)
        self.cls = param(1, H)
        self.pos = param(max(LT, LQ) + 2, H)
        self.emb_ln = torch.nn.ParameterList(ln_params(H))
        self.layers = torch.nn.ModuleList()
        for _ in range(L):
            m = torch.nn.Module()
            m.ln1 = torch.nn.ParameterList(ln_params(H))
            m.wqkv, m.bqkv = param(H, 3 * H), param(3 * H, zeros=True)
            m.wo, m.bo = param(H, H), param(H, zeros=True)
            m.ln2 = torch.nn.ParameterList(ln_params(H))
            m.w1, m.b1, m.w2, m.b2 = param(H, FFN), param(FFN, zeros=True), param(FFN, H), param(H, zeros=True)
            self.layers.append(m)
        self.ln_out = torch.nn.ParameterList(ln_params(H))
        self.proj_w, self.proj_b = param(H, DIM), param(DIM, zeros=True)
        self.conv1, self.conv1b = param(C1, 3, 3, 3, std=math.sqrt(2 / 27)), param(C1, zeros=True)
        self.conv2, self.conv2b = param(C2, C1, 3, 3, std=math.sqrt(2 / (9 * C1))), param(C2, zeros=True)
        self.patch_w, self.patch_b = param((S // 4) ** 2 * C2, H), param(H, zeros=True)
        self.img_w, self.img_b = param(H, DIM), param(DIM, zeros=True)
        self.sep, self.patch_pos, self.mask_patch = param(1, H), param(P, H), param(1, H)
        self.gate_w, self.gate_b = param(2 * H, 1), param(1, zeros=True)
        self.mlm_w, self.mlm_b = param(H, H), param(H, zeros=True)
        self.mlm_ln = torch.nn.ParameterList(ln_params(H))
        self.mlm_bias = param(V, zeros=True)
        self.mpm_w1, self.mpm_b1, self.mpm_w2, self.mpm_b2 = param(H, H), param(H, zeros=True), param(H, H), param(H, zeros=True)
        self.mpm_tau = torch.nn.Parameter(torch.tensor(0.1))


def gelu(x):
    return F.gelu(x, approximate="tanh")


def lnorm(x, p):
    return F.layer_norm(x, (x.shape[-1],), p[0], p[1], 1e-5)


def drop(x):
    return F.dropout(x, DROP, True) if DROP > 0 else x


def encoder(m, x, mask):
    b, l, _ = x.shape
    dh = H // NH
    bias = ((1 - mask) * -1e9).view(b, 1, 1, l)
    h = x
    for ly in m.layers:
        a = lnorm(h, ly.ln1)
        qkv = (a @ ly.wqkv + ly.bqkv).view(b, l, 3, NH, dh).permute(2, 0, 3, 1, 4)
        scores = qkv[0] @ qkv[1].transpose(-1, -2) / math.sqrt(dh) + bias
        ctx = (torch.softmax(scores, -1) @ qkv[2]).transpose(1, 2).reshape(b, l, H)
        h = h + drop(ctx @ ly.wo + ly.bo)
        f = lnorm(h, ly.ln2)
        h = h + drop(gelu(f @ ly.w1 + ly.b1) @ ly.w2 + ly.b2)
    return lnorm(h, m.ln_out)


def text_embed(m, tokens):
    b, l = tokens.shape
    seq = torch.cat([m.cls.expand(b, 1, H), F.embedding(tokens, m.token)], 1)
    return seq + m.pos[: l + 1] + m.modality[0]


def masked_mean(states, mask):
    mm = mask.unsqueeze(2)
    return (states * mm).sum(1) / mm.sum(1).clamp(min=1)


def l2n(x):
    return x * torch.rsqrt((x * x).sum(-1, keepdim=True).clamp(min=1e-12))


def patch_cnn(m, patches):
    b = patches.shape[0]
    x = patches.view(b * P, S, S, 3).permute(0, 3, 1, 2)
    x = F.avg_pool2d(F.relu(F.conv2d(x, m.conv1, m.conv1b, padding=1)), 2)
    x = F.avg_pool2d(F.relu(F.conv2d(x, m.conv2, m.conv2b, padding=1)), 2)
    x = x.permute(0, 2, 3, 1).reshape(b * P, -1)
    return (x @ m.patch_w + m.patch_b).view(b, P, H)


def encode_item(m, t, patches, im, mp):
    b = t.shape[0]
    text_mask = (t != 0).float()
    text = text_embed(m, t)
    feats = patch_cnn(m, patches)
    image_vec = l2n(feats.mean(1) @ m.img_w + m.img_b)
    mpx = mp.unsqueeze(2)
    patch_in = feats * (1 - mpx) + mpx * m.mask_patch
    sep = (m.sep + m.pos[LT + 1] + m.modality[0]).view(1, 1, H).expand(b, 1, H)
    patch_tok = patch_in + m.patch_pos + m.modality[1]
    seq = drop(lnorm(torch.cat([text, sep, patch_tok], 1), m.emb_ln))
    imc = im.view(b, 1)
    mask = torch.cat([torch.ones(b, 1), text_mask, imc, imc.expand(b, P)], 1)
    states = encoder(m, seq, mask)
    token_states = states[:, : LT + 1]
    patch_states = states[:, LT + 2 :]
    tv = masked_mean(token_states[:, 1:], text_mask)
    vv = patch_states.mean(1)
    g = torch.sigmoid(torch.cat([tv, vv], 1) @ m.gate_w + m.gate_b)
    g_eff = 1 - imc * (1 - g)
    z = states[:, 0] + g_eff * tv + (1 - g_eff) * vv
    return l2n(z @ m.proj_w + m.proj_b), token_states, patch_states, feats, image_vec


def encode_query(m, q):
    b = q.shape[0]
    text_mask = (q != 0).float()
    x = drop(lnorm(text_embed(m, q), m.emb_ln))
    states = encoder(m, x, torch.cat([torch.ones(b, 1), text_mask], 1))
    z = states[:, 0] + masked_mean(states[:, 1:], text_mask)
    return l2n(z @ m.proj_w + m.proj_b), states


def mlm(m, states, labels, mask):
    b, l = labels.shape
    s = states[:, 1 : l + 1].reshape(b * l, H)
    n = lnorm(gelu(s @ m.mlm_w + m.mlm_b), m.mlm_ln)
    logits = n @ m.token.t() + m.mlm_bias
    ce = F.cross_entropy(logits, labels.reshape(-1), reduction="none")
    mm = mask.reshape(-1)
    return (ce * mm).sum() / mm.sum().clamp(min=1)


def loss_fn(m, bt, bank):
    w = tcfg["weights"]
    tau = tcfg["temperature"]
    items, t_states, p_states, feats, image_vec = encode_item(m, bt["t"], bt["patches"], bt["im"], bt["mp"])
    q, q_states = encode_query(m, bt["q"])
    total = w["mlm"] * (mlm(m, t_states, bt["tl"], bt["tm"]) + mlm(m, q_states, bt["ql"], bt["qm"]))
    # Contrastive MPM (seed 001 eq. 1–2): masked patches of items with images against every real patch.
    has = bt["im"] > 0
    real = has.view(B, 1).expand(B, P).reshape(-1)
    masked = (bt["mp"].reshape(-1) > 0) & real
    if masked.any():
        pred = (gelu(p_states @ m.mpm_w1 + m.mpm_b1) @ m.mpm_w2 + m.mpm_b2).reshape(B * P, H)[masked]
        targets = feats.reshape(B * P, H)[real].detach()
        target_index = torch.cumsum(real.long(), 0)[masked] - 1
        logits = l2n(pred) @ l2n(targets).t() / m.mpm_tau.clamp(min=0.01)
        total = total + w["mpm"] * F.cross_entropy(logits, target_index)
    labels = torch.arange(B)
    am = tcfg["amSoftmax"]
    cos = l2n(q) @ l2n(items).t()
    total = total + w["qic"] * F.cross_entropy((cos - am["margin"] * F.one_hot(labels, B)) * am["scale"], labels)
    # QIM, seed 001 eq. 3: logQ-corrected in-batch softmax (+ α·bank), accidental hits masked.
    logq = bt["logq"]
    qs = q / tau
    pos = (qs * items).sum(1) - logq
    same = bt["items"].view(B, 1) == bt["items"].view(1, B)
    cols = [pos.view(B, 1), (qs @ items.t() - logq.view(1, B)).masked_fill(same, -1e9)]
    if bank is not None:
        bv, bq, bi = bank
        cols.append((qs @ bv.t() - bq.view(1, -1) + math.log(tcfg["mbns"]["alpha"])).masked_fill(bt["items"].view(B, 1) == bi.view(1, -1), -1e9))
    total = total + w["qim"] * (torch.logsumexp(torch.cat(cols, 1), 1) - pos).mean()
    wi = has.nonzero().view(-1)
    if wi.numel() > 1:
        total = total + w["qim2"] * F.cross_entropy(q[wi] @ image_vec[wi].t() / tau, torch.arange(wi.numel()))
    return total, items.detach()


model = Model()
opt = torch.optim.Adam(model.parameters(), lr=tcfg["lr"])
bank = []
times = []
losses = []
mbns_from = math.ceil(tcfg["mbns"]["startFraction"] * args.steps - 1e-9)
for step in range(args.steps):
    bt = batches[step % len(batches)]
    t0 = time.perf_counter()
    on = step >= mbns_from and len(bank) > 0
    bank_t = (torch.cat([b[0] for b in bank]), torch.cat([b[1] for b in bank]), torch.cat([b[2] for b in bank])) if on else None
    opt.zero_grad()
    loss, iv = loss_fn(model, bt, bank_t)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), tcfg["clipNorm"])
    opt.step()
    bank.append((iv, bt["logq"], bt["items"]))
    bank = bank[-tcfg["mbns"]["batches"] :]
    times.append(time.perf_counter() - t0)
    losses.append(loss.item())
timed = times[args.warmup :]
params = sum(p.numel() for p in model.parameters())
# Debian's torch calls whichever libblas.so.3 the alternatives system points at: the reference
# BLAS (a naive loop, ~8x slower here) unless an optimised one is installed (libopenblas0-openmp).
with open("/proc/self/maps") as f:
    blas = sorted({line.split()[-1] for line in f if "blas" in line.split()[-1].lower()})
print(
    json.dumps(
        {
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "parameters": params,
            "blas": blas,
            "steps": len(timed),
            "samplesPerSec": B * len(timed) / sum(timed),
            "msPerStep": 1000 * sum(timed) / len(timed),
            "firstLoss": losses[0],
            "lastLoss": losses[-1],
        }
    )
)
