// A floe localnet for a JavaScript test file: the real `floe` binary started as its own process
// (`floe --json localnet --any-ports`), its announcement read from stdout, and the process killed
// when the test file ends. Every suite that needs a network starts one through `startLocalnet`.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The floe binary `scripts/test` built (`FLOE_BIN`), or the workspace's default debug build. */
export function floeBin() {
	return process.env.FLOE_BIN ?? new URL('../../../target/debug/floe', import.meta.url).pathname;
}

/**
 * Starts `floe localnet` on free ports in a fresh directory and resolves once it serves, with the
 * fields `floe localnet --json` announces (rpc_url, daemon_url, explorer_url, node_urls,
 * key_server_urls, deployment_file, keystore_file, address, key) plus `dataDir`, the parsed
 * `deployment` and `stop()`. Extra command-line flags (e.g. `['--key-servers', '3']`) are appended.
 */
export async function startLocalnet(flags = [], { timeoutMs = 240_000 } = {}) {
	const dataDir = mkdtempSync(join(tmpdir(), 'floe-js-'));
	const args = ['--json', 'localnet', '--any-ports', '--no-demo', '--data-dir', dataDir, ...flags];
	const child = spawn(floeBin(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
	let stderr = '';
	child.stderr.on('data', (chunk) => {
		stderr = (stderr + chunk).slice(-20_000);
	});

	const started = await new Promise((resolve, reject) => {
		let stdout = '';
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`floe localnet did not announce itself within ${timeoutMs} ms:\n${stderr}`));
		}, timeoutMs);
		child.stdout.on('data', (chunk) => {
			stdout += chunk;
			const line = stdout.split('\n').find((l) => l.trim().startsWith('{'));
			if (line) {
				clearTimeout(timer);
				resolve(JSON.parse(line));
			}
		});
		child.on('exit', (code, signal) => {
			clearTimeout(timer);
			reject(new Error(`floe localnet exited (${code ?? signal}) before serving:\n${stderr}`));
		});
		child.on('error', (error) => {
			clearTimeout(timer);
			reject(error);
		});
	});

	const { readFileSync } = await import('node:fs');
	const deployment = JSON.parse(readFileSync(started.deployment_file, 'utf8'));
	let stopped = false;
	return {
		...started,
		dataDir,
		deployment,
		/** The last lines the network wrote to stderr (for failure messages). */
		logs: () => stderr,
		/** Stops the network (SIGINT, then SIGKILL after 10 s) and removes its directory. */
		async stop() {
			if (stopped) return;
			stopped = true;
			const exited = new Promise((resolve) => child.once('exit', resolve));
			child.kill('SIGINT');
			const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
			await exited;
			clearTimeout(timer);
			rmSync(dataDir, { recursive: true, force: true });
		},
	};
}
