#!/usr/bin/env node
// Rebuilds an encode-equivalent LLaMA / LLaMA-2 / Vicuna `tokenizer.model` (SentencePiece BPE, byte
// fallback, 32000 pieces) from the npm package llama-tokenizer-js, which carries Meta's vocabulary (in id
// order) and its BPE merges (in rank order) but no scores. The vocabulary is Meta's (Llama 2 Community
// Licence): it is fetched with `npm pack` when needed and never committed.
//
//   node tools/rebuild_llama_tokenizer.js OUT/tokenizer.model [WORKDIR]
//
// Scores: a piece gets -(rank of the first merge producing it); SentencePiece's BPE then merges the pair
// whose concatenation scores highest, which reproduces the merge order. Pieces no merge produces (single
// characters) score below every merge. Exit status 3 means the package could not be fetched (offline).
// The protobuf is written by hand (field numbers from sentencepiece_model.proto) so that nothing beyond
// node and npm is needed.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const PACKAGE = 'llama-tokenizer-js@1.2.2';

function fetchPackageSource(workdir) {
    fs.mkdirSync(workdir, { recursive: true });
    const js = path.join(workdir, 'package', 'llama-tokenizer.js');
    if (fs.existsSync(js)) return fs.readFileSync(js, 'utf8');
    try {
        const tgz = execFileSync('npm', ['pack', PACKAGE, '--silent'], { cwd: workdir, timeout: 120000 })
            .toString().trim().split('\n').pop();
        execFileSync('tar', ['xzf', tgz], { cwd: workdir });
    } catch (e) {
        process.stderr.write(`cannot fetch ${PACKAGE} with npm: ${e.message}\n`);
        process.exit(3);
    }
    return fs.readFileSync(js, 'utf8');
}

function stringConstant(source, name) {
    const m = source.match(new RegExp(`const ${name} = "([^"]*)"`));
    if (!m) throw new Error(`${PACKAGE}: constant ${name} not found`);
    return Buffer.from(m[1], 'base64');
}

// --- protobuf wire format (varint = 0, fixed32 = 5, length-delimited = 2) ---
function varint(n) {
    const out = [];
    let v = BigInt.asUintN(64, BigInt(n));
    do {
        let b = Number(v & 0x7fn);
        v >>= 7n;
        if (v) b |= 0x80;
        out.push(b);
    } while (v);
    return Buffer.from(out);
}
const key = (field, wire) => varint((field << 3) | wire);
const fieldVarint = (field, n) => Buffer.concat([key(field, 0), varint(n)]);
const fieldBytes = (field, buf) => Buffer.concat([key(field, 2), varint(buf.length), buf]);
function fieldFloat(field, x) {
    const b = Buffer.alloc(4);
    b.writeFloatLE(x);
    return Buffer.concat([key(field, 5), b]);
}

function main() {
    const out = process.argv[2];
    if (!out) {
        process.stderr.write('usage: rebuild_llama_tokenizer.js OUT/tokenizer.model [WORKDIR]\n');
        process.exit(2);
    }
    const workdir = process.argv[3] || path.join(os.tmpdir(), 'inst3d-llama-tokenizer-js');
    const source = fetchPackageSource(workdir);

    // vocabulary: UTF-8 pieces joined by '\n', in id order
    const vocab = stringConstant(source, 'llama_vocab_base64').toString('utf8').split('\n');
    if (vocab.length !== 32000) throw new Error(`expected 32000 pieces, got ${vocab.length}`);
    // merges: pairs of little-endian u16 vocabulary ids, in rank order
    const mergeBytes = stringConstant(source, 'llama_merges_binary');
    const score = new Map();
    for (let i = 0, rank = 0; i + 3 < mergeBytes.length; i += 4, ++rank) {
        const merged = vocab[mergeBytes.readUInt16LE(i)] + vocab[mergeBytes.readUInt16LE(i + 2)];
        if (!score.has(merged)) score.set(merged, -rank);
    }
    const lowest = -(mergeBytes.length / 4) - 1;

    const NORMAL = 1, UNKNOWN = 2, CONTROL = 3, BYTE = 6;
    const parts = [];
    vocab.forEach((piece, id) => {
        const type = id === 0 ? UNKNOWN : id <= 2 ? CONTROL : id <= 258 ? BYTE : NORMAL;
        const s = type !== NORMAL ? 0 : score.has(piece) ? score.get(piece) : lowest - id;
        const msg = Buffer.concat([fieldBytes(1, Buffer.from(piece, 'utf8')), fieldFloat(2, s), fieldVarint(3, type)]);
        parts.push(fieldBytes(1, msg));  // ModelProto.pieces = 1
    });
    // TrainerSpec: model_type = 3 (BPE = 2), vocab_size = 4, byte_fallback = 35; unk/bos/eos/pad ids
    // 0/1/2/-1 are the proto defaults.
    const trainer = Buffer.concat([fieldVarint(3, 2), fieldVarint(4, vocab.length), fieldVarint(35, 1),
                                   fieldVarint(40, 0), fieldVarint(41, 1), fieldVarint(42, 2), fieldVarint(43, -1)]);
    parts.push(fieldBytes(2, trainer));
    // NormalizerSpec: name = 1 "identity", add_dummy_prefix = 3, remove_extra_whitespaces = 4,
    // escape_whitespaces = 5
    const normalizer = Buffer.concat([fieldBytes(1, Buffer.from('identity')), fieldVarint(3, 1), fieldVarint(4, 0),
                                      fieldVarint(5, 1)]);
    parts.push(fieldBytes(3, normalizer));

    fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    const tmp = `${out}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, Buffer.concat(parts));
    fs.renameSync(tmp, out);
}

main();
