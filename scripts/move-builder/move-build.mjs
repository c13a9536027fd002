// Compiles floe's Move packages for publication with the WebAssembly Sui compiler and writes, or
// checks, the checked-in bytecode: move/<package>/bytecode/<module>.mv (one file per module, the
// compiler's bytes) and move/<package>/bytecode/build.json (module names in publication order,
// dependency package ids, package digest). Called by scripts/move-build and scripts/move-test.
//
//   node move-build.mjs            write the bytecode
//   node move-build.mjs --check    compile and compare byte for byte; exit 1 on any difference
//
// Addresses: a package's own address is 0x0 in its bytecode (Sui's publish rewrites it to the new
// package id). A package another one depends on (wal, for floe) is compiled at a fixed placeholder
// address, the id the devnet gives it (DEPENDENCY_ADDRESS); the dependent package's bytecode names
// that address, and `floe deploy` rewrites it to where the dependency was actually published.
//
// Exit status: 0 written / identical; 1 a build failed or the bytecode differs; 3 could not run.
import fs from "node:fs";
import path from "node:path";
import process from "node:process";

const EXIT_FAILED = 1;
const EXIT_COULD_NOT_RUN = 3;

/** The address a package is compiled at when it is a dependency: the devnet's fixed ids (devnet/src/server.rs). */
export const DEPENDENCY_ADDRESS = { wal: "0xa1", floe: "0xf1", floe_seal: "0x5e" };

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..", "..");
const moveRoot = path.join(repoRoot, "move");

function couldNotRun(message) {
  console.error(`move-build: COULD NOT RUN: ${message}`);
  process.exit(EXIT_COULD_NOT_RUN);
}

/** A package's sources as the builder's virtual file map: Move.toml and sources/ (no tests, no build output). */
function readSources(dir) {
  const files = { "Move.toml": fs.readFileSync(path.join(dir, "Move.toml"), "utf8") };
  const walk = (abs, rel) => {
    for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
      if (entry.name.startsWith(".")) continue;
      const a = path.join(abs, entry.name);
      const r = `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(a, r);
      else if (entry.name.endsWith(".move")) files[r] = fs.readFileSync(a, "utf8");
    }
  };
  walk(path.join(dir, "sources"), "sources");
  return files;
}

function packageName(toml) {
  const m = toml.match(/^\s*name\s*=\s*"([^"]+)"/m);
  if (!m) throw new Error("Move.toml has no package name");
  return m[1];
}

/** The dependency's sources with its own named address set to its placeholder id. */
function asDependency(files, name) {
  const placeholder = DEPENDENCY_ADDRESS[name];
  if (!placeholder) throw new Error(`package ${name} is a dependency but has no placeholder address in DEPENDENCY_ADDRESS`);
  const toml = files["Move.toml"];
  const line = new RegExp(`^(\\s*${name}\\s*=\\s*)"0x0"`, "m");
  if (!line.test(toml)) throw new Error(`Move.toml of ${name} does not set ${name} = "0x0" under [addresses]`);
  return { ...files, "Move.toml": toml.replace(line, `$1"${placeholder}"`) };
}

/** Reads a ULEB128 at `pos` of `bytes`; returns [value, next position]. */
function uleb(bytes, pos) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos++];
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, pos];
    shift += 7;
  }
}

/** The name of a compiled module: identifiers[module_handles[self].name] (Move binary format tables 0x1 and 0x7). */
export function moduleName(bytes) {
  if (bytes.readUInt32BE(0) !== 0xa11ceb0b) throw new Error("not a Move module (bad magic)");
  let pos = 8;
  let count;
  [count, pos] = uleb(bytes, pos);
  const tables = new Map();
  let end = 0;
  for (let i = 0; i < count; i++) {
    const kind = bytes[pos++];
    let offset, length;
    [offset, pos] = uleb(bytes, pos);
    [length, pos] = uleb(bytes, pos);
    tables.set(kind, { offset, length });
    end = Math.max(end, offset + length);
  }
  const base = pos;
  const [selfHandle] = uleb(bytes, base + end);
  const readAll = (kind, readOne) => {
    const t = tables.get(kind);
    const out = [];
    if (!t) return out;
    let p = base + t.offset;
    while (p < base + t.offset + t.length) {
      let v;
      [v, p] = readOne(p);
      out.push(v);
    }
    return out;
  };
  const handles = readAll(0x1, (p) => {
    const [, p1] = uleb(bytes, p);
    const [name, p2] = uleb(bytes, p1);
    return [name, p2];
  });
  const identifiers = readAll(0x7, (p) => {
    const [len, p1] = uleb(bytes, p);
    return [bytes.subarray(p1, p1 + len).toString("utf8"), p1 + len];
  });
  return identifiers[handles[selfHandle]];
}

async function main() {
  const check = process.argv.includes("--check");
  const frameworkDir = process.env.SUI_FRAMEWORK_DIR;
  const packages = fs
    .readdirSync(moveRoot, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(moveRoot, e.name, "Move.toml")))
    .map((e) => path.join(moveRoot, e.name))
    .sort();
  const dirByName = new Map(packages.map((d) => [packageName(fs.readFileSync(path.join(d, "Move.toml"), "utf8")), d]));

  let builder;
  try {
    builder = await import("@zktx.io/sui-move-builder/full");
    await builder.initMovePackageBuilder();
  } catch (err) {
    couldNotRun(`the WebAssembly Sui compiler could not start: ${err.message ?? err}`);
  }
  const fetchLocal = async (localPath, context) => {
    const parent = dirByName.get(context.parentPackageName);
    if (!parent) throw new Error(`local dependency ${localPath} of unknown package ${context.parentPackageName}`);
    const files = readSources(path.resolve(parent, localPath));
    return asDependency(files, packageName(files["Move.toml"]));
  };
  let fetcher;
  if (frameworkDir) {
    for (const sub of ["move-stdlib", "sui-framework"]) {
      if (!fs.existsSync(path.join(frameworkDir, sub, "Move.toml"))) couldNotRun(`SUI_FRAMEWORK_DIR=${frameworkDir} has no ${sub}/Move.toml`);
    }
    fetcher = {
      async fetch(_gitUrl, _rev, subdir) {
        const name = (subdir || "").split("/").filter(Boolean).pop();
        const dir = path.join(frameworkDir, name || "");
        if (!name || !fs.existsSync(path.join(dir, "Move.toml"))) throw new Error(`dependency ${subdir} is not in SUI_FRAMEWORK_DIR`);
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
      },
      async fetchFile() {
        return null;
      },
      getResolvedSha() {
        return undefined;
      },
      fetchLocal,
    };
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
    const { GitHubMovePackageFetcher } = await import("@zktx.io/sui-move-builder/full");
    fetcher = new GitHubMovePackageFetcher(process.env.GITHUB_TOKEN);
    fetcher.fetchLocal = fetchLocal;
  }
  const compiler = await builder.getPinnedSuiVersion();
  console.log(`move-build: WebAssembly Sui compiler ${compiler}; framework from ${frameworkDir ?? "GitHub"}`);

  let differs = false;
  for (const dir of packages) {
    const rel = path.relative(repoRoot, dir);
    const build = await builder.dumpMovePackage({ files: readSources(dir), fetcher, network: "testnet", silenceWarnings: true });
    if ("error" in build) {
      console.log(build.error.replace(/\x1b\[[0-9;]*m/g, ""));
      console.log(`move-build: ${rel}: BUILD FAILED`);
      process.exit(EXIT_FAILED);
    }
    const modules = build.modules.map((b64) => Buffer.from(b64, "base64"));
    const names = modules.map(moduleName);
    const manifest =
      JSON.stringify(
        {
          modules: names,
          dependencies: build.dependencies,
          digest: Buffer.from(build.digest).toString("hex"),
        },
        null,
        2,
      ) + "\n";
    const want = new Map(names.map((n, i) => [`${n}.mv`, modules[i]]));
    want.set("build.json", Buffer.from(manifest));
    const out = path.join(dir, "bytecode");
    if (check) {
      const have = fs.existsSync(out) ? fs.readdirSync(out) : [];
      const problems = [];
      for (const [file, bytes] of want) {
        const p = path.join(out, file);
        if (!fs.existsSync(p)) problems.push(`${file} missing`);
        else if (!fs.readFileSync(p).equals(bytes)) problems.push(`${file} differs`);
      }
      for (const file of have) if (!want.has(file)) problems.push(`${file} is not produced by the sources`);
      if (problems.length) {
        differs = true;
        console.log(`move-build: ${rel}/bytecode DIFFERS from the sources: ${problems.join("; ")}`);
      } else {
        console.log(`move-build: ${rel}/bytecode matches the sources (${names.length} modules)`);
      }
    } else {
      fs.rmSync(out, { recursive: true, force: true });
      fs.mkdirSync(out);
      for (const [file, bytes] of want) fs.writeFileSync(path.join(out, file), bytes);
      console.log(`move-build: wrote ${rel}/bytecode (${names.join(", ")})`);
    }
  }
  if (differs) {
    console.log("move-build: run scripts/move-build and commit move/*/bytecode");
    process.exit(EXIT_FAILED);
  }
}

await main();
