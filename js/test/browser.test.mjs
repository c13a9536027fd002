// The explorer page in a real headless Chromium (playwright-core driving the system's Chromium)
// against a floe localnet: a person searches a stored blob and sees its owner, size and epochs;
// after the Blob object changes hands they search again and see the new owner. Then a page of
// another origin (another localhost port) calls the aggregator, the indexer API and a key server,
// which only works when those servers answer CORS (preflights included).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

import { chromium } from 'playwright-core';

import { floeBin, startLocalnet } from './support/localnet.mjs';

const run = promisify(execFile);
const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;
/** How long the page or the indexer may take to show something before the test fails. */
const PATIENCE_MS = 60_000;

let net;
let context;
let profile;
let otherOrigin;

/** Stores `bytes` through the publisher; returns the Walrus-shaped `blobObject`. */
async function publish(bytes, query = 'epochs=3') {
	const answer = await fetch(`${net.daemon_url}/v1/blobs?${query}`, { method: 'PUT', body: bytes });
	assert.equal(answer.status, 200, await answer.clone().text());
	const body = await answer.json();
	return (body.newlyCreated ?? body.alreadyCertified).blobObject;
}

/** Polls the indexer API until `check` accepts an answer of `path`. */
async function indexed(path, check) {
	const deadline = Date.now() + PATIENCE_MS;
	for (;;) {
		const answer = await fetch(`${net.explorer_url.replace(/\/$/, '')}${path}`);
		if (answer.ok) {
			const body = await answer.json();
			if (check(body)) return body;
		}
		assert.ok(Date.now() < deadline, `the indexer did not show ${path} as expected in time`);
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}

/** Whether `floe transfer` exists in this build. */
async function hasTransferCommand() {
	try {
		await run(floeBin(), ['transfer', '--help']);
		return true;
	} catch {
		return false;
	}
}

/** Gives the Blob object to `recipient` with floe's CLI, or, without a transfer command, has
 * the publisher store the same bytes again and send the new Blob object to `recipient`. Returns
 * the object id `recipient` now owns. */
async function handOver(bytes, blobObject, recipient) {
	if (await hasTransferCommand()) {
		await run(floeBin(), ['transfer', blobObject.id, recipient, '--deployment', net.deployment_file, '--key', net.key]);
		return blobObject.id;
	}
	const sent = await publish(bytes, `epochs=3&force=true&send_object_to=${recipient}`);
	return sent.id;
}

/** The texts of the blob table's cells of `column` (the page marks each cell with it). */
async function column(page, name) {
	return page.locator(`td[data-column="${name}"]`).evaluateAll((cells) =>
		cells.map((c) => ({ text: c.textContent, title: c.querySelector('[title]')?.getAttribute('title') ?? null })),
	);
}

async function searchFor(page, text) {
	await page.fill('#q', text);
	await page.click('#search button[type=submit]');
}

before(async () => {
	net = await startLocalnet();
	profile = mkdtempSync(join(tmpdir(), 'floe-chromium-'));
	context = await chromium.launchPersistentContext(profile, {
		executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
		headless: true,
		args: [
			'--headless',
			'--no-sandbox',
			'--disable-gpu',
			'--disable-quic',
			'--no-first-run',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
		],
	});
	// A page of another origin: a static server on its own localhost port.
	otherOrigin = createServer((_, response) => {
		response.writeHead(200, { 'content-type': 'text/html' });
		response.end('<!doctype html><title>another app</title><p>another origin</p>');
	});
	await new Promise((resolve) => otherOrigin.listen(0, '127.0.0.1', resolve));
	mkdirSync(ARTIFACTS, { recursive: true });
});

after(async () => {
	await context?.close();
	await new Promise((resolve) => (otherOrigin ? otherOrigin.close(resolve) : resolve()));
	await net?.stop();
	if (profile) rmSync(profile, { recursive: true, force: true });
});

test('the explorer shows a blob by its id, then its new owner after it changes hands', async () => {
	const bytes = randomBytes(3000);
	const blob = await publish(bytes);
	await indexed(`/v1/blobs/${blob.blobId}`, (rows) => rows.some((r) => r.object_id === blob.id && r.certified_epoch !== null));

	const page = await context.newPage();
	await page.goto(net.explorer_url);
	await searchFor(page, blob.blobId);
	await page.waitForSelector(`section h2:has-text("Blob ${blob.blobId}")`, { timeout: PATIENCE_MS });
	const owners = await column(page, 'owner');
	assert.deepEqual(
		owners.map((o) => o.title),
		[net.address],
		'the owner is the publisher account, whole in the tooltip',
	);
	assert.deepEqual((await column(page, 'size')).map((c) => c.text), ['2.93 KiB']);
	assert.deepEqual((await column(page, 'registered')).map((c) => c.text), [`epoch ${blob.registeredEpoch}`]);
	assert.deepEqual((await column(page, 'stored until')).map((c) => c.text), [`epoch ${blob.storage.endEpoch}`]);
	assert.deepEqual((await column(page, 'certified')).map((c) => c.text), [`epoch ${blob.certifiedEpoch}`]);
	await page.screenshot({ path: join(ARTIFACTS, 'explorer-blob.png'), fullPage: true });

	const recipient = `0x${randomBytes(32).toString('hex')}`;
	const handed = await handOver(bytes, blob, recipient);
	await indexed(`/v1/objects/${handed}`, (row) => row.owner === recipient);
	// Searching again for the same id shows fresh data.
	await searchFor(page, blob.blobId);
	await page.waitForFunction(
		(owner) => [...document.querySelectorAll('td[data-column="owner"] [title]')].some((a) => a.title === owner),
		recipient,
		{ timeout: PATIENCE_MS },
	);
	const rows = await column(page, 'owner');
	assert.ok(rows.some((o) => o.title === recipient), JSON.stringify(rows));
	await page.screenshot({ path: join(ARTIFACTS, 'explorer-new-owner.png'), fullPage: true });
	await page.close();
});

test('a page of another origin may call the aggregator, the indexer API and a key server', async () => {
	const blob = await publish(randomBytes(500));
	const page = await context.newPage();
	const { port } = otherOrigin.address();
	await page.goto(`http://localhost:${port}/`);
	const results = await page.evaluate(
		async ({ aggregator, indexer, keyServer, blobId }) => {
			const outcome = async (name, request) => {
				try {
					const answer = await request();
					const bytes = new Uint8Array(await answer.arrayBuffer());
					return {
						name,
						status: answer.status,
						version: answer.headers.get('X-KeyServer-Version'),
						size: bytes.length,
						body: new TextDecoder().decode(bytes),
					};
				} catch (error) {
					return { name, error: String(error) };
				}
			};
			return Promise.all([
				outcome('aggregator', () => fetch(`${aggregator}/v1/blobs/${blobId}`)),
				outcome('indexer', () => fetch(`${indexer}/v1/totals`)),
				outcome('key server service', () =>
					fetch(`${keyServer}/v1/service`, { headers: { 'Client-Sdk-Version': '1.4.12', 'Request-Id': 'browser' } }),
				),
				// A JSON POST with custom headers: the browser sends a preflight first.
				outcome('key server fetch_key', () =>
					fetch(`${keyServer}/v1/fetch_key`, {
						method: 'POST',
						headers: { 'Content-Type': 'application/json', 'Client-Sdk-Version': '1.4.12', 'Client-Sdk-Type': 'typescript' },
						body: '{}',
					}),
				),
			]);
		},
		{
			aggregator: net.daemon_url,
			indexer: net.explorer_url.replace(/\/$/, ''),
			keyServer: net.key_server_urls[0],
			blobId: blob.blobId,
		},
	);
	const byName = Object.fromEntries(results.map((r) => [r.name, r]));
	for (const r of results) assert.equal(r.error, undefined, `${r.name}: ${r.error}`);
	assert.equal(byName.aggregator.status, 200);
	assert.equal(byName.aggregator.size, 500);
	assert.equal(byName.indexer.status, 200);
	assert.ok(JSON.parse(byName.indexer.body).blob_count >= 1);
	assert.equal(byName['key server service'].status, 200);
	assert.equal(byName['key server service'].version, '0.5.0', 'the page reads the version header Seal checks');
	// Past the preflight, the server's refusal of the empty body is readable by the page.
	assert.equal(byName['key server fetch_key'].status, 400);
	assert.match(JSON.parse(byName['key server fetch_key'].body).error, /InvalidParameter/);
	await page.close();
});
