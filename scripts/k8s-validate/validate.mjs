#!/usr/bin/env node
// Validates Kubernetes manifests offline, as `kubectl kustomize` renders them (multi-document YAML).
//
//   node scripts/k8s-validate/validate.mjs --tools .tools/k8s-validate [FILE.yaml …]   (stdin when no file)
//
// Two checks per object, both against the schemas the npm packages ship (no cluster, no network):
//   1. schema: kubernetes-models' validators, generated from the Kubernetes OpenAPI (types, required fields,
//      enums, formats); @kubernetes-models/prometheus-operator's for ServiceMonitor and PrometheusRule;
//   2. strict: every field must exist in the schema. The same packages' TypeScript declarations, checked by the
//      TypeScript compiler with each object as a typed literal, whose excess-property check rejects unknown
//      or misspelt fields (the validators in 1 let them through, as the API server's non-strict mode would).
// An object of a kind neither package covers is an error, never silently passed.
// Prints one line per object; exits 0 when all are valid, 1 when any is not, 2 on a usage error.
import { readFileSync, mkdtempSync, writeFileSync, rmSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { spawnSync } from "node:child_process";

function usage(message) {
  process.stderr.write(`validate.mjs: ${message}\nusage: node validate.mjs --tools DIR [FILE.yaml …]\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
let tools = null;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--tools") tools = args[++i];
  else files.push(args[i]);
}
if (!tools) usage("--tools DIR is required (where ./test.sh installed the validator's npm packages)");
tools = resolve(tools);
const modules = join(tools, "node_modules");
for (const pkg of ["kubernetes-models", "@kubernetes-models/prometheus-operator", "yaml", "typescript"]) {
  if (!existsSync(join(modules, pkg, "package.json"))) {
    usage(`${join(modules, pkg)} is missing: install with ./test.sh (npm ci in ${tools})`);
  }
}

const { parseAllDocuments } = await import(pathToFileURL(join(modules, "yaml", "dist", "index.js")).href);

// apiVersion → [npm package, folder inside it]. Core v1 lives at the package's top level.
function schemaHome(apiVersion) {
  if (apiVersion === "v1") return ["kubernetes-models", "v1"];
  const [group, version] = apiVersion.split("/");
  if (!version) return null;
  if (group === "monitoring.coreos.com") return ["@kubernetes-models/prometheus-operator", `${group}/${version}`];
  return ["kubernetes-models", `${group}/${version}`];
}

const sources = files.length === 0 ? [["<stdin>", readFileSync(0, "utf8")]] : files.map((f) => [f, readFileSync(f, "utf8")]);
const objects = [];
let failed = false;
for (const [source, text] of sources) {
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      failed = true;
      process.stdout.write(`error ${source}: not valid YAML: ${doc.errors.map((e) => e.message).join("; ")}\n`);
      continue;
    }
    const value = doc.toJS();
    if (value === null || value === undefined) continue;
    objects.push({ source, value });
  }
}

if (objects.length === 0) {
  process.stdout.write("error: no objects to validate\n");
  process.exit(1);
}

// 1. Schema validation, object by object.
const typed = [];
for (const { source, value } of objects) {
  const name = `${value?.kind ?? "?"}/${value?.metadata?.name ?? "?"} (${value?.apiVersion ?? "?"}, ${source})`;
  const home = typeof value?.apiVersion === "string" && typeof value?.kind === "string" ? schemaHome(value.apiVersion) : null;
  const file = home && join(modules, home[0], home[1], `${value.kind}.js`);
  if (!file || !existsSync(file)) {
    failed = true;
    process.stdout.write(`error ${name}: no schema for this apiVersion and kind; it cannot be validated\n`);
    continue;
  }
  const model = (await import(pathToFileURL(file).href))[value.kind];
  try {
    new model(value).validate();
  } catch (error) {
    failed = true;
    process.stdout.write(`error ${name}: schema: ${error.message}\n`);
    continue;
  }
  typed.push({ name, value, module: `${home[0]}/${home[1]}/${value.kind}` });
}

// 2. Strict: unknown fields, through TypeScript's excess-property check on typed object literals.
if (typed.length > 0) {
  const work = mkdtempSync(join(tools, ".check-"));
  try {
    const lines = [];
    const spans = [];
    typed.forEach((t, i) => lines.push(`import type { I${t.value.kind} as T${i} } from "${t.module}";`));
    typed.forEach((t, i) => {
      const first = lines.length + 1;
      lines.push(...`export const o${i}: T${i} = ${JSON.stringify(t.value, null, 2)};`.split("\n"));
      spans.push({ first, last: lines.length, name: t.name });
    });
    writeFileSync(join(work, "objects.ts"), lines.join("\n") + "\n");
    writeFileSync(join(work, "tsconfig.json"), JSON.stringify({
      compilerOptions: {
        strict: true, noEmit: true, target: "es2022", module: "nodenext", moduleResolution: "nodenext",
        skipLibCheck: true, types: [],
      },
      files: ["objects.ts"],
    }));
    const tsc = spawnSync(process.execPath, [join(modules, "typescript", "bin", "tsc"), "-p", join(work, "tsconfig.json"), "--pretty", "false"],
      { encoding: "utf8" });
    const out = `${tsc.stdout ?? ""}${tsc.stderr ?? ""}`;
    const bad = new Set();
    for (const line of out.split("\n").filter((l) => l.trim().length > 0)) {
      const at = /objects\.ts\((\d+),\d+\): (.*)$/.exec(line);
      const span = at && spans.find((s) => Number(at[1]) >= s.first && Number(at[1]) <= s.last);
      failed = true;
      if (span) {
        bad.add(span.name);
        process.stdout.write(`error ${span.name}: strict: ${at[2]} (line ${Number(at[1]) - span.first + 1} of the object as JSON)\n`);
      } else {
        process.stdout.write(`error: strict check: ${line}\n`);
      }
    }
    if (tsc.status !== 0 && bad.size === 0 && !failed) {
      failed = true;
      process.stdout.write(`error: the TypeScript check failed (exit ${tsc.status}) without naming an object:\n${out}\n`);
    }
    for (const t of typed) {
      if (!bad.has(t.name)) process.stdout.write(`ok    ${t.name}\n`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

process.stdout.write(failed ? "manifests: INVALID\n" : `manifests: ${objects.length} valid\n`);
process.exit(failed ? 1 : 0);
