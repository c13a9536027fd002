// Mysten's official TypeScript SDK (`@mysten/sui`) against a floe localnet, used exactly as its
// documentation shows: `SuiGrpcClient` with its default transport (gRPC-web over HTTP/1.1), the
// localnet's funded key, and transactions the SDK prepares itself (object inputs by id, gas chosen
// by the node). Nothing here fills in gas, versions or digests by hand.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { SuiGrpcClient } from '@mysten/sui/grpc';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Transaction } from '@mysten/sui/transactions';
import { normalizeSuiAddress } from '@mysten/sui/utils';

import { floeBin, startLocalnet } from './support/localnet.mjs';

const SUI = '0x2::sui::SUI';

let net;
let client;
let signer;
let floePkg;
let walType;
let blobType;
/** Blob object ids stored for this suite, owned by the funded address. */
const blobs = [];
/** The digest of the suite's `insert_or_update_attribute` call. */
let attributeDigest;

/** Stores `bytes` through the publisher, sending the Blob to `owner`; returns the object id. */
async function storeThroughPublisher(bytes, owner) {
	const url = `${net.daemon_url}/v1/blobs?epochs=2&send_object_to=${owner}`;
	const response = await fetch(url, { method: 'PUT', body: bytes });
	assert.equal(response.status, 200, await response.clone().text());
	const answer = await response.json();
	return answer.newlyCreated.blobObject.id;
}

/** Stores a file with `floe store`, the Blob going to the keystore's address; returns the object id. */
async function storeWithCli(bytes) {
	const file = join(net.dataDir, 'sdk-test-blob.bin');
	writeFileSync(file, bytes);
	const { stdout } = await promisify(execFile)(floeBin(), [
		'--json',
		'store',
		file,
		'--epochs',
		'2',
		'--deployment',
		net.deployment_file,
		'--keystore',
		net.keystore_file,
	]);
	// One report per file: { file, blob_id, outcome: <the publisher's answer> }.
	const parsed = JSON.parse(stdout);
	const report = Array.isArray(parsed) ? parsed[0] : parsed;
	return report.outcome.newlyCreated.blobObject.id;
}

async function waitFor(check, what, timeoutMs = 30_000) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await check();
		if (value) return value;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}

before(async () => {
	net = await startLocalnet();
	client = new SuiGrpcClient({ network: 'localnet', baseUrl: net.rpc_url });
	signer = Ed25519Keypair.fromSecretKey(net.key);
	assert.equal(signer.toSuiAddress(), normalizeSuiAddress(net.address));
	floePkg = net.deployment.packages.floe;
	walType = `${net.deployment.packages.wal}::wal::WAL`;
	blobType = `${floePkg}::blob::Blob`;
	blobs.push(await storeThroughPublisher(new TextEncoder().encode('floe through the official Sui SDK'), net.address));
});

after(async () => {
	await net?.stop();
});

describe('reads', () => {
	test('the chain identifier and reference gas price', async () => {
		const { chainIdentifier } = await client.core.getChainIdentifier();
		assert.equal(chainIdentifier, net.deployment.chain_id);
		const { referenceGasPrice } = await client.getReferenceGasPrice();
		assert.ok(BigInt(referenceGasPrice) > 0n, referenceGasPrice);
		const { systemState } = await client.getCurrentSystemState();
		assert.equal(systemState.referenceGasPrice, referenceGasPrice);
		assert.ok(Number(systemState.parameters.epochDurationMs) > 0);
		const { protocolConfig } = await client.getProtocolConfig();
		assert.ok(protocolConfig.protocolVersion);
	});

	test('SUI and WAL balances of the funded account', async () => {
		const { balance: sui } = await client.getBalance({ owner: net.address });
		assert.ok(BigInt(sui.balance) > 0n, 'the funded key holds SUI');
		const { balance: wal } = await client.getBalance({ owner: net.address, coinType: walType });
		assert.ok(BigInt(wal.balance) > 0n, 'the funded key holds WAL');
		const { balances } = await client.listBalances({ owner: net.address });
		const byType = Object.fromEntries(balances.map((b) => [b.coinType, b.balance]));
		assert.equal(byType[normalizeType(SUI)], sui.balance);
		assert.equal(byType[normalizeType(walType)], wal.balance);
	});

	test('coin metadata of SUI and WAL', async () => {
		const { coinMetadata: sui } = await client.getCoinMetadata({ coinType: SUI });
		assert.equal(sui.symbol, 'SUI');
		assert.equal(sui.decimals, 9);
		const { coinMetadata: wal } = await client.getCoinMetadata({ coinType: walType });
		assert.equal(wal.symbol, 'WAL');
		assert.equal(wal.decimals, 9);
		assert.equal(wal.name, 'WAL Token');
		const { coinMetadata: none } = await client.getCoinMetadata({ coinType: `${floePkg}::blob::Blob` });
		assert.equal(none, null);
	});

	test("the account's Blob objects are listed by type and read", async () => {
		const { objects } = await client.listOwnedObjects({ owner: net.address, type: blobType });
		const ids = objects.map((o) => o.objectId);
		assert.ok(ids.includes(blobs[0]), `${blobs[0]} among ${ids}`);
		const { object } = await client.getObject({ objectId: blobs[0], include: { content: true } });
		assert.equal(object.type, normalizeType(blobType));
		assert.deepEqual(object.owner, { $kind: 'AddressOwner', AddressOwner: normalizeSuiAddress(net.address) });
		// The Move contents start with the object's UID.
		assert.equal(normalizeSuiAddress(Buffer.from(object.content.slice(0, 32)).toString('hex')), blobs[0]);
	});

	test("a Blob's JSON rendering, as a full node gives it", async () => {
		const { object } = await client.getObject({ objectId: blobs[0], include: { json: true, content: true } });
		const json = object.json;
		assert.equal(json.id, blobs[0]);
		// u64 and u256 come as decimal strings, u8 and u32 as numbers, Option as null or the value.
		assert.equal(json.size, String('floe through the official Sui SDK'.length));
		assert.equal(json.encoding_type, 1);
		assert.equal(typeof json.registered_epoch, 'number');
		assert.equal(typeof json.certified_epoch, 'number', 'the publisher certified the blob');
		// `deletable`, the last field, is the last byte of the BCS.
		assert.equal(json.deletable, object.content.at(-1) === 1);
		assert.equal(json.storage.end_epoch - json.storage.start_epoch, 2);
		assert.match(json.storage.storage_size, /^[0-9]+$/);
		// The blob id: the 32 little-endian bytes after the UID and registered_epoch in the BCS.
		const idBytes = Buffer.from(object.content.slice(36, 68)).reverse();
		assert.equal(json.blob_id, BigInt(`0x${idBytes.toString('hex')}`).toString());
		// The same through listOwnedObjects.
		const { objects } = await client.listOwnedObjects({ owner: net.address, type: blobType, include: { json: true } });
		assert.deepEqual(objects.find((o) => o.objectId === blobs[0]).json, json);
	});

	test('a Blob stored with the floe CLI is listed too', async () => {
		const id = await storeWithCli(new TextEncoder().encode('stored by the floe binary'));
		assert.ok(id, 'floe store names the Blob object');
		const { objects } = await client.listOwnedObjects({ owner: net.address, type: blobType });
		assert.ok(objects.some((o) => o.objectId === normalizeSuiAddress(id)));
		blobs.push(normalizeSuiAddress(id));
	});
});

describe('transactions the SDK prepares', () => {
	test('blob::insert_or_update_attribute with automatic gas', async () => {
		const tx = new Transaction();
		tx.moveCall({
			target: `${floePkg}::blob::insert_or_update_attribute`,
			arguments: [tx.object(blobs[0]), tx.pure.string('content-type'), tx.pure.string('text/plain')],
		});
		const result = await client.signAndExecuteTransaction({
			transaction: tx,
			signer,
			include: { effects: true, objectTypes: true, balanceChanges: true },
		});
		assert.equal(result.$kind, 'Transaction', JSON.stringify(result.FailedTransaction?.status));
		const done = result.Transaction;
		attributeDigest = done.digest;
		assert.equal(done.objectTypes[blobs[0]], normalizeType(blobType));
		const gas = done.balanceChanges.find((c) => c.coinType === normalizeType(SUI));
		assert.ok(BigInt(gas.amount) < 0n, 'the sender paid gas');
		await client.waitForTransaction({ digest: done.digest });

		// The attribute lives in the Blob's `attributes` dynamic field.
		const { dynamicFields } = await client.listDynamicFields({ parentId: blobs[0] });
		assert.equal(dynamicFields.length, 1);
		assert.equal(dynamicFields[0].name.type, 'vector<u8>');
		assert.equal(Buffer.from(dynamicFields[0].name.bcs).subarray(1).toString(), 'attributes');
	});

	test("the account's transactions and floe's events are listed, page by page", async () => {
		// Every transaction the funded account sent, oldest first, two per page.
		const digests = [];
		let after = null;
		for (;;) {
			const page = await client.listTransactions({
				filter: { sender: net.address },
				limit: 2,
				after,
				include: { effects: true },
			});
			assert.ok(page.transactions.length <= 2);
			for (const t of page.transactions) digests.push(t.Transaction.digest);
			if (!page.hasNextPage) break;
			after = page.endCursor;
		}
		assert.ok(attributeDigest, 'the attribute test ran first');
		assert.ok(digests.includes(attributeDigest), `${attributeDigest} among ${digests}`);
		assert.equal(new Set(digests).size, digests.length, 'no transaction twice across pages');
		// The Move call filter finds the attribute call alone among blob::insert_or_update_attribute calls.
		const calls = await client.listTransactions({
			filter: { function: `${floePkg}::blob::insert_or_update_attribute` },
		});
		assert.deepEqual(
			calls.transactions.map((t) => t.Transaction.digest),
			[attributeDigest],
		);
		// BlobCertified events, with their JSON: the certified Blob's object id among them.
		const { events } = await client.listEvents({ filter: { eventType: `${floePkg}::events::BlobCertified` } });
		assert.ok(events.length >= 1);
		for (const event of events) {
			assert.equal(event.eventType, normalizeType(`${floePkg}::events::BlobCertified`));
			assert.match(event.json.blob_id, /^[0-9]+$/);
		}
		assert.ok(events.some((e) => e.json.object_id === blobs[0]), 'the publisher-certified Blob');
	});

	test('transferring a Blob to another address, seen by the indexer', async () => {
		const recipient = Ed25519Keypair.generate().toSuiAddress();
		const blob = blobs[blobs.length - 1];
		const tx = new Transaction();
		tx.transferObjects([tx.object(blob)], recipient);
		const result = await client.signAndExecuteTransaction({ transaction: tx, signer, include: { effects: true } });
		assert.equal(result.$kind, 'Transaction', JSON.stringify(result.FailedTransaction?.status));
		await client.waitForTransaction({ digest: result.Transaction.digest });
		const { object } = await client.getObject({ objectId: blob });
		assert.deepEqual(object.owner, { $kind: 'AddressOwner', AddressOwner: recipient });

		const row = await waitFor(async () => {
			const response = await fetch(`${net.explorer_url}/v1/objects/${blob}`);
			if (response.status !== 200) return null;
			const row = await response.json();
			return row.owner === recipient ? row : null;
		}, `the indexer to see ${blob} owned by ${recipient}`);
		assert.equal(row.object_id, blob);
	});

	test('simulating a SUI payment reports its balance changes and command results', async () => {
		const recipient = Ed25519Keypair.generate().toSuiAddress();
		const tx = new Transaction();
		tx.setSender(net.address);
		const [coin] = tx.splitCoins(tx.gas, [tx.pure.u64(12_345)]);
		tx.transferObjects([coin], recipient);
		const { balance: before } = await client.getBalance({ owner: net.address });
		const simulated = await client.simulateTransaction({
			transaction: tx,
			include: { balanceChanges: true, effects: true, commandResults: true },
		});
		assert.equal(simulated.$kind, 'Transaction', JSON.stringify(simulated.FailedTransaction?.status));
		const changes = simulated.Transaction.balanceChanges;
		const received = changes.find((c) => c.address === recipient);
		assert.equal(received.amount, '12345');
		const paid = changes.find((c) => c.address === normalizeSuiAddress(net.address));
		assert.ok(BigInt(paid.amount) < -12_345n, `${paid.amount} includes gas`);
		// SplitCoins returns the new coin: its BCS is the id then the balance 12345.
		const [split] = simulated.commandResults[0].returnValues;
		assert.equal(Buffer.from(split.bcs.slice(32)).readBigUInt64LE(), 12_345n);
		const { balance: afterwards } = await client.getBalance({ owner: net.address });
		assert.equal(afterwards.balance, before.balance, 'a simulation changes nothing');
	});
});

test('subscribing to checkpoints', async () => {
	const abort = new AbortController();
	const call = client.subscriptionService.subscribeCheckpoints(
		{ readMask: { paths: ['sequence_number', 'digest'] } },
		{ abort: abort.signal },
	);
	const seen = [];
	try {
		for await (const frame of call.responses) {
			assert.equal(frame.cursor, frame.checkpoint.sequenceNumber);
			seen.push(frame.checkpoint.sequenceNumber);
			if (seen.length === 2) break;
		}
	} finally {
		abort.abort();
	}
	assert.equal(seen[1], seen[0] + 1n, 'consecutive checkpoints');
});

function normalizeType(type) {
	const [address, ...rest] = type.split('::');
	return [normalizeSuiAddress(address), ...rest].join('::');
}
