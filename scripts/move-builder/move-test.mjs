// Builds and unit-tests every Move package under move/ with the WebAssembly Sui compiler
// (@zktx.io/sui-move-builder, full entry). Called by scripts/move-test; see that script for the
// exit statuses. The framework comes from SUI_FRAMEWORK_DIR (move-stdlib/ + sui-framework/) or,
// when that is unset, from GitHub through the builder's own fetcher.
import fs from "node:fs";
import path from "node:path";
import process from "node:process";

const EXIT_FAILED = 1;
const EXIT_COULD_NOT_RUN = 3;

// Test modules that need real BLS12-381 natives. The WebAssembly test VM's BLS natives are inert
// (min_pk_verify always returns true, group operations do not compute), so these would pass or
// fail for the wrong reasons there; they run only under the `sui` CLI.
const REAL_BLS_SUFFIX = "_bls_tests.move";

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..", "..");
const moveRoot = path.join(repoRoot, "move");

function couldNotRun(message) {
  console.error("");
  console.error("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
  console.error(`move-test: COULD NOT RUN: ${message}`);
  console.error("move-test: no Move package was tested; this is not a pass.");
  console.error("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
  process.exit(EXIT_COULD_NOT_RUN);
}

/** Reads a package folder into the builder's virtual file map (skipping build output and dot files). */
function readPackage(dir) {
  const files = {};
  const walk = (abs, rel) => {
    for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
      if (entry.name === "build" || entry.name.startsWith(".")) continue;
      const a = path.join(abs, entry.name);
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(a, r);
      else if (/\.(move|toml|lock)$/.test(entry.name)) files[r] = fs.readFileSync(a, "utf8");
    }
  };
  walk(dir, "");
  return files;
}

function packageName(dir) {
  const toml = fs.readFileSync(path.join(dir, "Move.toml"), "utf8");
  const m = toml.match(/^\s*name\s*=\s*"([^"]+)"/m);
  return m ? m[1] : path.basename(dir);
}

const packages = fs.existsSync(moveRoot)
  ? fs
      .readdirSync(moveRoot, { withFileTypes: true })
      .filter((e) => e.isDirectory() && fs.existsSync(path.join(moveRoot, e.name, "Move.toml")))
      .map((e) => path.join(moveRoot, e.name))
      .sort()
  : [];
if (packages.length === 0) couldNotRun(`no Move package found under ${moveRoot}`);
const dirByName = new Map(packages.map((d) => [packageName(d), d]));

const frameworkDir = process.env.SUI_FRAMEWORK_DIR;
let fetcher;
if (frameworkDir) {
  for (const sub of ["move-stdlib", "sui-framework"]) {
    if (!fs.existsSync(path.join(frameworkDir, sub, "Move.toml"))) {
      couldNotRun(`SUI_FRAMEWORK_DIR=${frameworkDir} has no ${sub}/Move.toml`);
    }
  }
  fetcher = {
    // Framework packages are asked for by git URL + subdir; serve them from the local copy.
    async fetch(_gitUrl, _rev, subdir) {
      const name = (subdir || "").split("/").filter(Boolean).pop();
      const dir = path.join(frameworkDir, name || "");
      if (!name || !fs.existsSync(path.join(dir, "Move.toml"))) {
        throw new Error(`dependency ${subdir} is not in SUI_FRAMEWORK_DIR=${frameworkDir}`);
      }
      return readPackage(dir);
    },
    async fetchFile() {
      return null;
    },
    getResolvedSha() {
      return undefined;
    },
    // Local dependencies between floe's packages (e.g. floe -> wal).
    async fetchLocal(localPath, context) {
      const parent = dirByName.get(context.parentPackageName);
      if (!parent) throw new Error(`local dependency ${localPath} of unknown package ${context.parentPackageName}`);
      return readPackage(path.resolve(parent, localPath));
    },
  };
  console.log(`move-test: framework from SUI_FRAMEWORK_DIR=${frameworkDir}`);
} else {
  try {
    const res = await fetch("https://raw.githubusercontent.com/MystenLabs/sui/main/README.md", {
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  } catch (err) {
    couldNotRun(
      `SUI_FRAMEWORK_DIR is not set and the Sui repository cannot be fetched (${err.message ?? err}); ` +
        "set SUI_FRAMEWORK_DIR to a folder holding move-stdlib/ and sui-framework/",
    );
  }
  console.log("move-test: framework fetched from the Sui repository on GitHub");
  // Local floe dependencies still come from disk; the default GitHub fetcher serves the framework.
  const { GitHubMovePackageFetcher } = await import("@zktx.io/sui-move-builder/full");
  const gh = new GitHubMovePackageFetcher(process.env.GITHUB_TOKEN);
  gh.fetchLocal = async (localPath, context) => {
    const parent = dirByName.get(context.parentPackageName);
    if (!parent) throw new Error(`local dependency ${localPath} of unknown package ${context.parentPackageName}`);
    return readPackage(path.resolve(parent, localPath));
  };
  fetcher = gh;
}

let builder;
try {
  builder = await import("@zktx.io/sui-move-builder/full");
  await builder.initMovePackageBuilder();
  console.log(`move-test: WebAssembly Sui compiler ${await builder.getPinnedSuiVersion()}`);
} catch (err) {
  couldNotRun(`the WebAssembly Sui compiler could not start: ${err.message ?? err}`);
}

const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*m/g, "");
const only = process.argv.slice(2);
let failed = false;
const summary = [];
let totalPassed = 0;
let totalTests = 0;
let totalSkipped = 0;

for (const dir of packages) {
  const name = path.basename(dir);
  if (only.length && !only.includes(name)) continue;
  const files = readPackage(dir);
  const allFiles = { ...files };
  const skipped = Object.keys(files).filter((f) => f.startsWith("tests/") && f.endsWith(REAL_BLS_SUFFIX));
  let skippedTests = 0;
  for (const f of skipped) {
    skippedTests += (files[f].match(/#\[test[\],]/g) || []).length;
    delete files[f];
  }
  console.log(`\n=== move/${name}`);
  if (skipped.length) {
    // Compile the real-BLS test modules too, so they cannot rot; their results mean nothing here.
    const check = await builder.testMovePackage({ files: allFiles, fetcher, network: "testnet" });
    const checkOut = "error" in check ? stripAnsi(check.error) : stripAnsi(check.output);
    if (!/Test result:/.test(checkOut)) {
      console.log(checkOut);
      console.log(`move/${name}: real-BLS test modules DO NOT COMPILE (${skipped.join(", ")})`);
      summary.push(`move/${name}: TEST BUILD FAILED (real-BLS test modules)`);
      failed = true;
      continue;
    }
    console.log(`move/${name}: real-BLS test modules compile (${skipped.join(", ")}); their results are not meaningful in this VM`);
  }
  const build = await builder.dumpMovePackage({ files, fetcher, network: "testnet" });
  if ("error" in build) {
    console.log(stripAnsi(build.error));
    console.log(`move/${name}: BUILD FAILED (${build.category ?? "unknown stage"})`);
    summary.push(`move/${name}: BUILD FAILED`);
    failed = true;
    continue;
  }
  const warnings = build.warnings ? stripAnsi(build.warnings).trim() : "";
  if (warnings) console.log(warnings);
  console.log(`move/${name}: build ok, ${build.modules.length} modules${warnings ? ", with warnings (above)" : ""}`);

  const test = await builder.testMovePackage({ files, fetcher, network: "testnet" });
  if ("error" in test) {
    console.log(stripAnsi(test.error));
    console.log(`move/${name}: TESTS COULD NOT BE BUILT (${test.category ?? "unknown stage"})`);
    summary.push(`move/${name}: TEST BUILD FAILED`);
    failed = true;
    continue;
  }
  const out = stripAnsi(test.output);
  console.log(out.trimEnd());
  const m = out.match(/Total tests: (\d+); passed: (\d+); failed: (\d+)/);
  const total = m ? Number(m[1]) : 0;
  const passed = m ? Number(m[2]) : 0;
  totalTests += total;
  totalPassed += passed;
  totalSkipped += skippedTests;
  const ok = test.passed && m !== null && Number(m[3]) === 0;
  if (!ok) failed = true;
  let line = `move/${name}: ${ok ? "PASSED" : "FAILED"}, ${passed}/${total} tests passed`;
  if (skipped.length) {
    line += `; NOT RUN under the WebAssembly VM (inert BLS natives): ${skippedTests} tests in ${skipped.join(", ")}`;
  }
  summary.push(line);
}

console.log("\n=== summary");
for (const line of summary) console.log(line);
console.log(`total: ${totalPassed}/${totalTests} tests passed; ${totalSkipped} real-BLS tests not run (need the sui CLI)`);
process.exit(failed ? EXIT_FAILED : 0);
