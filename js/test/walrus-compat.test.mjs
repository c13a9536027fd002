// floe's offline ids against Walrus's own code, live: for the same files the quilt floe builds has
// the blob id and patch ids that @mysten/walrus's `encodeQuilt` + @mysten/walrus-wasm's
// `BlobEncoder(n).compute_metadata` give, and a plain file has the blob id walrus-wasm computes.
// Runs the real `floe` binary (FLOE_BIN, as scripts/test sets it); no network needed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { encodeQuilt } from '@mysten/walrus';
import { BlobEncoder } from '@mysten/walrus-wasm';

import { floeBin } from './support/localnet.mjs';

// The client builds patch ids with this function (dist/client.mjs, writeQuilt); it is not
// exported from the package root, so it is loaded from its file.
const { encodeQuiltPatchId } = await import(
	new URL('../node_modules/@mysten/walrus/dist/utils/quilts.mjs', import.meta.url)
);

const dir = mkdtempSync(join(tmpdir(), 'floe-walrus-compat-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function bytes(length, seed) {
	const out = new Uint8Array(length);
	for (let i = 0; i < length; i++) out[i] = (i * 131 + 7 + seed * 17) % 256;
	return out;
}

/** Walrus's blob id of `data` at `nShards`, base64url as Walrus prints it. */
function walrusBlobId(data, nShards) {
	const [blobId] = new BlobEncoder(nShards).compute_metadata(data);
	return Buffer.from(blobId).toString('base64url');
}

function floeJson(args) {
	return JSON.parse(execFileSync(floeBin(), ['--json', '--log-level', 'warn', ...args], { encoding: 'utf8' }));
}

const QUILTS = [
	{ name: 'one empty file', shards: [4, 10, 1000], files: [['empty.bin', 0]], tags: {} },
	{ name: 'three files, tagged', shards: [10, 100], files: [['z.txt', 1000], ['a.bin', 1], ['m i d', 0]], tags: { b: '2', aa: '1' } },
	{
		name: 'forty files of mixed sizes',
		shards: [100, 1000],
		files: Array.from({ length: 40 }, (_, k) => [`f-${(k * 7) % 40}.dat`, (k * 997) % 6000]),
		tags: { group: 'x' },
	},
];

for (const quilt of QUILTS) {
	test(`quilt (${quilt.name}): floe blob-id --quilt equals @mysten/walrus encodeQuilt + walrus-wasm`, () => {
		const caseDir = mkdtempSync(join(dir, 'quilt-'));
		const blobs = quilt.files.map(([identifier, length], seed) => {
			const contents = bytes(length, seed);
			writeFileSync(join(caseDir, identifier), contents);
			return { identifier, contents, tags: quilt.tags };
		});
		const paths = quilt.files.map(([identifier]) => join(caseDir, identifier));
		const tagArgs = Object.entries(quilt.tags).flatMap(([k, v]) => ['--tag', `${k}=${v}`]);
		for (const numShards of quilt.shards) {
			const walrus = encodeQuilt({ blobs, numShards, encodingType: 'RS2' });
			const quiltId = walrusBlobId(walrus.quilt, numShards);
			const floe = floeJson(['blob-id', '--quilt', ...paths, ...tagArgs, '--n-shards', String(numShards)]);
			assert.equal(floe.blob_id, quiltId, `n=${numShards}`);
			assert.equal(floe.size, walrus.quilt.length, `n=${numShards}`);
			const walrusPatches = walrus.index.patches.map((patch) => ({
				identifier: patch.identifier,
				patch_id: encodeQuiltPatchId({
					quiltId,
					patchId: { version: 1, startIndex: patch.startIndex, endIndex: patch.endIndex },
				}),
			}));
			const floePatches = floe.patches.map(({ identifier, patch_id }) => ({ identifier, patch_id }));
			assert.deepEqual(floePatches, walrusPatches, `n=${numShards}`);
		}
	});
}

// Below a row of the matrix (100 B at 1000 shards) whole rows and columns of the expansion are
// zero padding, and below the matrix's size at 2-byte symbols (300,000 B at 1000 shards) whole
// rows: the encoder and the nodes hash those repeats once.
for (const length of [0, 1, 100, 300_000, 1 << 20]) {
	test(`plain blob of ${length} bytes: floe blob-id equals walrus-wasm at 10, 100 and 1000 shards`, () => {
		const data = bytes(length, 99);
		const path = join(dir, `plain-${length}.bin`);
		writeFileSync(path, data);
		for (const numShards of [10, 100, 1000]) {
			const floe = floeJson(['blob-id', path, '--n-shards', String(numShards)]);
			assert.equal(floe.blob_id, walrusBlobId(data, numShards), `n=${numShards}`);
		}
	});
}
