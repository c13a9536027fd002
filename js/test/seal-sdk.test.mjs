// Seal's official SDK (@mysten/seal, with @mysten/sui's SuiGrpcClient) used as its documentation
// shows, against floe's key servers on a floe localnet: the SDK reads floe's KeyServer objects
// and verifies each server's proof of possession, encrypts for floe's Seal package, and opens
// what it encrypted and what `floe store --encrypt` stored, through floe's policies (owner,
// allowlist), also with one of three key servers down.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

import { SuiGrpcClient } from '@mysten/sui/grpc';
import { Transaction } from '@mysten/sui/transactions';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { fromHex, toHex } from '@mysten/sui/utils';
import { EncryptedObject, NoAccessError, SealClient, SessionKey } from '@mysten/seal';

import { floeBin, startLocalnet } from './support/localnet.mjs';

const run = promisify(execFile);

let net;
let work;
let suiClient;
let owner;
let packageId;
let keyServerIds;

/** `floe --json <args>` on the test's network; the first JSON line it prints, parsed. */
async function floe(...args) {
	const { stdout } = await run(floeBin(), ['--json', ...args], { maxBuffer: 64 * 1024 * 1024 });
	const line = stdout.split('\n').find((l) => l.trim().startsWith('{'));
	assert.ok(line, `floe ${args.join(' ')} printed no JSON:\n${stdout}`);
	return JSON.parse(line);
}

/** The account flags of a floe command run as the localnet's funded user. */
function asOwner() {
	return ['--deployment', net.deployment_file, '--key', net.key];
}

/** A key id under `prefix` (an address or object id) with a fresh nonce, as hex. */
function idUnder(prefix) {
	return toHex(new Uint8Array([...fromHex(prefix), ...randomBytes(8)]));
}

/** The transaction-kind bytes of `seal_approve` calls, as the SDK's docs build them. */
async function approval(build) {
	const tx = new Transaction();
	build(tx);
	return tx.build({ client: suiClient, onlyTransactionKind: true });
}

function ownerApproval(id) {
	return approval((tx) =>
		tx.moveCall({ target: `${packageId}::owner_policy::seal_approve`, arguments: [tx.pure.vector('u8', fromHex(id))] }),
	);
}

function sealClient(objectIds, options = {}) {
	return new SealClient({
		suiClient,
		serverConfigs: objectIds.map((objectId) => ({ objectId, weight: 1 })),
		verifyKeyServers: true,
		...options,
	});
}

function session(keypair) {
	return SessionKey.create({
		address: keypair.getPublicKey().toSuiAddress(),
		packageId,
		ttlMin: 10,
		signer: keypair,
		suiClient,
	});
}

before(async () => {
	net = await startLocalnet();
	work = mkdtempSync(join(tmpdir(), 'floe-seal-sdk-'));
	suiClient = new SuiGrpcClient({ network: 'localnet', baseUrl: net.rpc_url });
	owner = Ed25519Keypair.fromSecretKey(net.key);
	packageId = net.deployment.packages.seal;
	keyServerIds = JSON.parse(readFileSync(join(net.dataDir, 'key-servers.json'), 'utf8')).map((k) => k.object_id);
	assert.equal(keyServerIds.length, 3);
});

after(async () => {
	await net?.stop();
	if (work) rmSync(work, { recursive: true, force: true });
});

test('SealClient with verifyKeyServers lists floe key servers from their on-chain objects', async () => {
	const client = sealClient(keyServerIds);
	const servers = await client.getKeyServers();
	assert.deepEqual([...servers.keys()].sort(), [...keyServerIds].sort());
	for (const [i, id] of keyServerIds.entries()) {
		const server = servers.get(id);
		assert.equal(server.url, net.key_server_urls[i]);
		assert.equal(server.serverType, 'Independent');
		assert.equal(server.pk.length, 96);
	}
});

test('encrypts 2 of 3 for the owner policy and decrypts with a session key', async () => {
	const client = sealClient(keyServerIds);
	const data = new TextEncoder().encode('sealed by the official SDK for floe');
	const id = idUnder(owner.getPublicKey().toSuiAddress());
	const { encryptedObject } = await client.encrypt({ threshold: 2, packageId, id, data });
	const parsed = EncryptedObject.parse(encryptedObject);
	assert.equal(parsed.threshold, 2);
	assert.equal(parsed.services.length, 3);
	assert.equal(parsed.id, id);

	const sessionKey = await session(owner);
	const decrypted = await client.decrypt({ data: encryptedObject, sessionKey, txBytes: await ownerApproval(id) });
	assert.deepEqual(decrypted, data);

	// floe's own reader opens the SDK's ciphertext once stored (one protocol for both clients).
	const file = join(work, 'sdk-sealed.bin');
	writeFileSync(file, encryptedObject);
	const stored = await floe('store', file, '--epochs', '2', ...asOwner());
	const out = join(work, 'sdk-opened.bin');
	await floe('read', stored.blob_id, '-o', out, ...asOwner());
	assert.deepEqual(new Uint8Array(readFileSync(out)), data);
});

test('decrypts a blob stored with floe store --encrypt and read back with --raw', async () => {
	const plain = join(work, 'plain.txt');
	const data = new TextEncoder().encode('sealed by floe, opened by @mysten/seal');
	writeFileSync(plain, data);
	const stored = await floe('store', plain, '--epochs', '2', '--encrypt', '--policy', 'owner', ...asOwner());
	assert.equal(stored.sealed.threshold, 2);
	const raw = join(work, 'raw.bin');
	await floe('read', stored.blob_id, '--raw', '-o', raw, ...asOwner());
	const sealed = new Uint8Array(readFileSync(raw));
	const parsed = EncryptedObject.parse(sealed);
	assert.equal(parsed.packageId, packageId);

	const client = sealClient(keyServerIds);
	const sessionKey = await session(owner);
	const decrypted = await client.decrypt({ data: sealed, sessionKey, txBytes: await ownerApproval(parsed.id) });
	assert.deepEqual(decrypted, data);
});

test('an allowlist refuses a non-member and opens for a member', async () => {
	const member = owner;
	const stranger = Ed25519Keypair.generate();
	// The key server simulates the policy as the user, which needs a SUI coin for gas: fund the
	// stranger so the refusal below is the policy's, not the gas check's.
	const fund = new Transaction();
	const [coin] = fund.splitCoins(fund.gas, [1_000_000_000]);
	fund.transferObjects([coin], stranger.getPublicKey().toSuiAddress());
	const funded = await suiClient.signAndExecuteTransaction({ transaction: fund, signer: owner });
	await suiClient.waitForTransaction({ result: funded });

	const created = await floe('allowlist', 'create', 'sdk-team', ...asOwner());
	await floe('allowlist', 'add', created.allowlist, member.getPublicKey().toSuiAddress(), ...asOwner());

	const client = sealClient(keyServerIds);
	const data = new TextEncoder().encode('for the team only');
	const id = idUnder(created.allowlist);
	const { encryptedObject } = await client.encrypt({ threshold: 2, packageId, id, data });
	const allowlistApproval = () =>
		approval((tx) =>
			tx.moveCall({
				target: `${packageId}::allowlist::seal_approve`,
				arguments: [tx.pure.vector('u8', fromHex(id)), tx.object(created.allowlist)],
			}),
		);

	await assert.rejects(
		client.decrypt({ data: encryptedObject, sessionKey: await session(stranger), txBytes: await allowlistApproval() }),
		NoAccessError,
	);
	const decrypted = await client.decrypt({
		data: encryptedObject,
		sessionKey: await session(member),
		txBytes: await allowlistApproval(),
	});
	assert.deepEqual(decrypted, data);
});

test('with one of three key servers down, 2 of 3 still opens', async () => {
	// A fourth key server of our own, registered on chain by the user, that this test can stop.
	const dir = mkdtempSync(join(tmpdir(), 'floe-ks-'));
	const child = spawn(
		floeBin(),
		[
			'--json',
			'keyserver',
			'--rpc',
			net.rpc_url,
			'--deployment',
			net.deployment_file,
			'--listen',
			'127.0.0.1:0',
			'--master-key',
			join(dir, 'master.key'),
			'--operator-key',
			net.key,
			'--name',
			'doomed',
			'--cors-origin',
			'*',
			// Seal's SDK in Node reaches it without a CA to trust: plain HTTP, asked for.
			'--plain-http',
		],
		{ stdio: ['ignore', 'pipe', 'pipe'] },
	);
	const started = await new Promise((resolve, reject) => {
		let out = '';
		child.stdout.on('data', (chunk) => {
			out += chunk;
			const line = out.split('\n').find((l) => l.trim().startsWith('{'));
			if (line) resolve(JSON.parse(line));
		});
		child.on('exit', (code) => reject(new Error(`floe keyserver exited with ${code}`)));
	});
	const servers = [keyServerIds[0], keyServerIds[1], started.object_id];
	const attempts = new Map();
	// The SDK's documented `fetch` option, used here only to observe which servers were asked.
	const observed = async (url, init) => {
		const origin = new URL(url).origin;
		try {
			const answer = await fetch(url, init);
			attempts.set(origin, [...(attempts.get(origin) ?? []), answer.status]);
			return answer;
		} catch (error) {
			attempts.set(origin, [...(attempts.get(origin) ?? []), 'failed']);
			throw error;
		}
	};
	const client = sealClient(servers, { fetch: observed });
	assert.equal((await client.getKeyServers()).get(started.object_id).url, started.url);
	const data = new TextEncoder().encode('two of three suffice');
	const id = idUnder(owner.getPublicKey().toSuiAddress());
	const { encryptedObject } = await client.encrypt({ threshold: 2, packageId, id, data });

	const exited = new Promise((resolve) => child.once('exit', resolve));
	child.kill('SIGINT');
	await exited;
	rmSync(dir, { recursive: true, force: true });

	const decrypted = await client.decrypt({
		data: encryptedObject,
		sessionKey: await session(owner),
		txBytes: await ownerApproval(id),
	});
	assert.deepEqual(decrypted, data);
	const down = attempts.get(new URL(started.url).origin);
	assert.ok(down?.includes('failed'), `the stopped server was asked and failed: ${JSON.stringify([...attempts])}`);
});
