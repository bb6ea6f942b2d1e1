#!/usr/bin/env node
// Turns tsc's output for `vidhook/browser` (dist/browser/tracking.js and the relative modules it
// imports) into one ES2020 module, so a page can load it with a single <script type="module">.
// tsc cannot emit one ES module from several; this handles exactly what our sources use
// (named imports and exports of functions and consts) and refuses anything else by name.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// tsc's output of src/browser/tracking.ts and its imports in, one module out in place of dist/browser/index.js.
const entry = resolve(root, 'dist/browser/tracking.js');
const output = resolve(root, 'dist/browser/index.js');

function fail(file, message) {
  console.error(`bundle-browser: ${relative(root, file)} ${message}`);
  process.exit(1);
}

const hasModifier = (node, kind) => (ts.canHaveModifiers(node) ? ts.getModifiers(node) ?? [] : []).some((m) => m.kind === kind);

/** One module: what it imports (by file), what it exports, and its code with import/export syntax removed. */
function readModule(file, text = readFileSync(file, 'utf8')) {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const imports = [];
  const exports = [];
  const cuts = [];
  const dependency = (specifier) => {
    if (!/^\.\.?\//.test(specifier)) fail(file, `imports "${specifier}": the browser module may import only its own relative modules (no node:*, no packages)`);
    return resolve(dirname(file), specifier);
  };
  const names = (elements) => elements.map((e) => ({ imported: (e.propertyName ?? e.name).text, local: e.name.text }));

  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (clause?.name || (clause?.namedBindings && !ts.isNamedImports(clause.namedBindings))) fail(file, 'uses a default or namespace import; use named imports');
      imports.push({ file: dependency(statement.moduleSpecifier.text), bindings: clause?.namedBindings ? names(clause.namedBindings.elements) : [] });
      cuts.push(statement);
    } else if (ts.isExportDeclaration(statement)) {
      if (!statement.exportClause || !ts.isNamedExports(statement.exportClause)) fail(file, 'uses `export *`; export names one by one');
      const listed = names(statement.exportClause.elements);
      if (statement.moduleSpecifier) {
        const from = dependency(statement.moduleSpecifier.text);
        imports.push({ file: from, bindings: [] });
        exports.push(...listed.map(({ imported, local }) => ({ exported: local, from, imported })));
      } else exports.push(...listed.map(({ imported, local }) => ({ local: imported, exported: local })));
      cuts.push(statement);
    } else if (ts.isExportAssignment(statement) || hasModifier(statement, ts.SyntaxKind.DefaultKeyword)) {
      fail(file, 'has a default export; use named exports');
    } else if (hasModifier(statement, ts.SyntaxKind.ExportKeyword)) {
      if (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) exports.push({ local: statement.name.text, exported: statement.name.text });
      else if (ts.isVariableStatement(statement)) {
        if (!(statement.declarationList.flags & ts.NodeFlags.Const)) fail(file, 'exports a `let` or `var`; a bundled export is a copy, so only consts can be exported');
        for (const d of statement.declarationList.declarations) {
          if (!ts.isIdentifier(d.name)) fail(file, 'exports a destructured const; export plain names');
          exports.push({ local: d.name.text, exported: d.name.text });
        }
      } else fail(file, `exports a ${ts.SyntaxKind[statement.kind]}, which this bundler does not handle`);
      const keyword = ts.getModifiers(statement).find((m) => m.kind === ts.SyntaxKind.ExportKeyword);
      cuts.push({ getStart: () => keyword.getStart(source), end: keyword.end + 1 });
    }
  }
  (function refuseDynamic(node) {
    if (ts.isCallExpression(node) && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))) {
      fail(file, 'loads a module at run time (import() or require()); the browser module has no dependencies');
    }
    if (ts.isMetaProperty(node)) fail(file, 'uses import.meta, which has no meaning once bundled');
    ts.forEachChild(node, refuseDynamic);
  })(source);

  let code = text;
  for (const cut of [...cuts].sort((a, b) => b.getStart(source) - a.getStart(source))) code = code.slice(0, cut.getStart(source)) + code.slice(cut.end);
  return { file, text, imports, exports, code, topLevel: topLevelNames(source) };
}

function topLevelNames(source) {
  const names = [];
  for (const statement of source.statements) {
    if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name) names.push(statement.name);
    if (ts.isVariableStatement(statement)) for (const d of statement.declarationList.declarations) if (ts.isIdentifier(d.name)) names.push(d.name);
  }
  return names;
}

// What no one references is dropped, local names are shortened and indentation removed: the
// TypeScript language service finds every reference and renames the way its rename refactoring
// does (shorthand properties and destructuring keep their property names).
function languageService(text) {
  const name = 'bundle.js';
  const host = {
    getCompilationSettings: () => ({ allowJs: true, target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.ESNext, noLib: true }),
    getScriptFileNames: () => [name],
    getScriptVersion: () => '1',
    getScriptSnapshot: (file) => (file === name ? ts.ScriptSnapshot.fromString(text) : undefined),
    getCurrentDirectory: () => root,
    getDefaultLibFileName: () => 'lib.d.ts',
    fileExists: (file) => file === name,
    readFile: () => undefined,
  };
  const service = ts.createLanguageService(host);
  return { name, service, source: service.getProgram().getSourceFile(name) };
}

// Declarations at the top of the file or of a module's function: the candidates for dropping.
function moduleLevelDeclarations(source) {
  const bodies = [source.statements];
  for (const statement of source.statements) {
    const call = ts.isVariableStatement(statement) ? statement.declarationList.declarations[0].initializer : undefined;
    const fn = call && ts.isCallExpression(call) && ts.isParenthesizedExpression(call.expression) ? call.expression.expression : undefined;
    if (fn && ts.isArrowFunction(fn) && ts.isBlock(fn.body)) bodies.push(fn.body.statements);
  }
  return bodies.flat();
}

const PURE = (node) =>
  ts.isArrowFunction(node) || ts.isFunctionExpression(node) || ts.isLiteralExpression(node) || ts.isRegularExpressionLiteral(node) ||
  (ts.isArrayLiteralExpression(node) && node.elements.every(PURE)) ||
  (ts.isObjectLiteralExpression(node) && node.properties.every((p) => ts.isPropertyAssignment(p) && PURE(p.initializer))) ||
  (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && ['Set', 'Map'].includes(node.expression.text) && (node.arguments ?? []).every(PURE)) ||
  (ts.isBinaryExpression(node) && PURE(node.left) && PURE(node.right)) ||
  node.kind === ts.SyntaxKind.NumericLiteral;

function dropUnused(text) {
  for (;;) {
    const { name, service, source } = languageService(text);
    const unused = moduleLevelDeclarations(source).find((statement) => {
      let names;
      if (ts.isFunctionDeclaration(statement)) names = [statement.name];
      else if (ts.isVariableStatement(statement) && statement.declarationList.declarations.every((d) => ts.isIdentifier(d.name) && d.initializer && PURE(d.initializer))) {
        names = statement.declarationList.declarations.map((d) => d.name);
      } else return false;
      return names.every((id) => (service.getReferencesAtPosition(name, id.getStart(source)) ?? []).length <= 1);
    });
    if (!unused) return text;
    text = text.slice(0, unused.getStart(source)) + text.slice(unused.end);
  }
}

const SHORT_FIRST = 'etnrisaolcudpfmhgbvyxwkqjzETNRISAOLCUDPFMHGBVYXWKQJZ_$';
const RESERVED = new Set(['do', 'if', 'in', 'as', 'of', 'for', 'let', 'new', 'try', 'var', 'NaN']);
function shortName(index) {
  let name = SHORT_FIRST[index % SHORT_FIRST.length];
  for (let rest = Math.floor(index / SHORT_FIRST.length); rest > 0; rest = Math.floor(rest / 62)) name += `${SHORT_FIRST}0123456789`[rest % 62];
  return name;
}

// Where a declared name is visible: the function, block or loop that declares it.
function scopeOf(id) {
  let node = ts.isFunctionDeclaration(id.parent) ? id.parent.parent : id.parent;
  while (!(ts.isFunctionLike(node) || ts.isBlock(node) || ts.isSourceFile(node) || ts.isIterationStatement(node, false) || ts.isCatchClause(node))) node = node.parent;
  return [node.pos, node.end];
}

// Local names become the shortest free ones; names in scopes that do not overlap are reused,
// which is what lets gzip find the same short text again and again.
function mangle(text, keep) {
  const { name, service, source } = languageService(text);
  const declared = [];
  const taken = new Set(RESERVED);
  (function visit(node) {
    const id = node.name;
    if ((ts.isVariableDeclaration(node) || ts.isParameter(node) || ts.isFunctionDeclaration(node) || ts.isBindingElement(node)) && id && ts.isIdentifier(id) && !keep.has(id.text)) {
      declared.push(id);
    }
    if (ts.isIdentifier(node)) taken.add(node.text);
    ts.forEachChild(node, visit);
  })(source);
  const given = new Map();
  const edits = [];
  for (const id of declared) {
    const [from, to] = scopeOf(id);
    let short;
    for (let i = 0; ; i++) {
      short = shortName(i);
      if (taken.has(short)) continue;
      if (!(given.get(short) ?? []).some(([start, end]) => start < to && from < end)) break;
    }
    given.set(short, [...(given.get(short) ?? []), [from, to]]);
    for (const at of service.findRenameLocations(name, id.getStart(source), false, false, { providePrefixAndSuffixTextForRename: true }) ?? []) {
      edits.push({ start: at.textSpan.start, end: at.textSpan.start + at.textSpan.length, text: `${at.prefixText ?? ''}${short}${at.suffixText ?? ''}` });
    }
  }
  const unique = [...new Map(edits.map((e) => [e.start, e])).values()].sort((a, b) => b.start - a.start);
  for (const edit of unique) text = text.slice(0, edit.start) + edit.text + text.slice(edit.end);
  return text;
}

// The tokens with only the spaces that keep them apart (tsc ends every statement with a semicolon).
function squeeze(text) {
  const source = ts.createSourceFile('bundle.js', text, ts.ScriptTarget.ES2020, true, ts.ScriptKind.JS);
  const tokens = [];
  (function visit(node) {
    const children = node.getChildren(source);
    if (children.length === 0) {
      if (node.kind === ts.SyntaxKind.EndOfFileToken || node.end === node.getStart(source)) return;
      // Nothing declares `undefined` here (tsc's output never does), so it is the global one.
      tokens.push(ts.isIdentifier(node) && node.text === 'undefined' && !ts.isPropertyAccessExpression(node.parent) ? 'void 0' : node.getText(source));
    } else children.forEach(visit);
  })(source);
  let out = '';
  for (const [i, token] of tokens.entries()) {
    if (token === ',' && /^[\]})]$/.test(tokens[i + 1] ?? '')) continue;
    const a = out.at(-1) ?? '';
    const b = token[0];
    const glue = (/[\w$]/.test(a) && /[\w$]/.test(b)) || ((a === '+' || a === '-') && a === b) || (a === '/' && b === '/');
    out += (glue ? ' ' : '') + token;
  }
  return out;
}

// `const a = 1; const b = 2;` → `const a = 1, b = 2;` within one statement list.
function joinConsts(text) {
  const source = ts.createSourceFile('bundle.js', text, ts.ScriptTarget.ES2020, true, ts.ScriptKind.JS);
  const isConst = (node) => node && ts.isVariableStatement(node) && node.declarationList.flags & ts.NodeFlags.Const && text.slice(node.end - 1, node.end) === ';';
  const edits = [];
  (function visit(node) {
    const list = ts.isSourceFile(node) || ts.isBlock(node) ? node.statements : [];
    for (let i = 1; i < list.length; i++) if (isConst(list[i - 1]) && isConst(list[i])) edits.push([list[i - 1].end - 1, list[i].getStart(source) + 'const'.length]);
    ts.forEachChild(node, visit);
  })(source);
  for (const [start, end] of edits.sort((a, b) => b[0] - a[0])) text = `${text.slice(0, start)},${text.slice(end)}`;
  return text;
}

// A top-level const object of numbers read only as `LIMITS.key` (GA4_LIMITS) becomes those numbers.
function foldConstants(text) {
  const { name, service, source } = languageService(text);
  const edits = [];
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement) || !(statement.declarationList.flags & ts.NodeFlags.Const)) continue;
    for (const d of statement.declarationList.declarations) {
      const object = d.initializer;
      if (!ts.isIdentifier(d.name) || !object || !ts.isObjectLiteralExpression(object)) continue;
      const values = new Map();
      for (const p of object.properties) {
        if (!ts.isPropertyAssignment(p) || !ts.isIdentifier(p.name)) continue;
        if (ts.isNumericLiteral(p.initializer)) values.set(p.name.text, p.initializer.text);
        else if (/^[\d\s*+]+$/.test(p.initializer.getText(source))) values.set(p.name.text, `(${p.initializer.getText(source)})`);
      }
      if (values.size !== object.properties.length) continue;
      const uses = (service.getReferencesAtPosition(name, d.name.getStart(source)) ?? []).filter((r) => r.textSpan.start !== d.name.getStart(source));
      const reads = uses.map((r) => ts.getTokenAtPosition(source, r.textSpan.start).parent);
      if (!reads.every((read) => ts.isPropertyAccessExpression(read) && values.has(read.name.text) && !(ts.isBinaryExpression(read.parent) && read.parent.left === read && read.parent.operatorToken.kind === ts.SyntaxKind.EqualsToken))) continue;
      for (const read of reads) edits.push([read.getStart(source), read.end, values.get(read.name.text)]);
    }
  }
  for (const [start, end, value] of edits.sort((a, b) => b[0] - a[0])) text = text.slice(0, start) + value + text.slice(end);
  return text;
}

const compact = (text, keep) => squeeze(joinConsts(mangle(dropUnused(foldConstants(text)), keep)));

// Dependencies first; a cycle would need live bindings, which copies cannot give.
const modules = new Map();
const order = [];
(function visit(file, trail) {
  if (trail.includes(file)) fail(file, `is part of an import cycle: ${[...trail, file].map((f) => relative(root, f)).join(' → ')}`);
  if (modules.has(file)) return;
  const module = readModule(file);
  modules.set(file, module);
  for (const dependency of module.imports) visit(dependency.file, [...trail, file]);
  order.push(module);
})(entry, []);

// Scope hoisting: every module's code at the top of one file, each top-level name suffixed with
// its module's number so that no two collide, each imported name replaced by the name it has
// in the module that declares it. The entry's exports keep their names.
const main = order.at(-1);
const numberOf = (file) => order.findIndex((m) => m.file === file);
function finalName(file, exported) {
  const module = modules.get(file);
  const found = module.exports.find((e) => e.exported === exported);
  if (!found) fail(file, `has no export named ${exported}`);
  if (found.from) return finalName(found.from, found.imported);
  return module === main ? found.local : `${found.local}$${numberOf(file)}`;
}

function hoisted(module) {
  const { name, service, source } = languageService(module.text);
  const renames = new Map();
  for (const id of module.topLevel) {
    if (module !== main || !module.exports.some((e) => e.local === id.text && !e.from)) renames.set(id.getStart(source), `${id.text}$${numberOf(module.file)}`);
  }
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !statement.importClause?.namedBindings) continue;
    const from = resolve(dirname(module.file), statement.moduleSpecifier.text);
    for (const element of statement.importClause.namedBindings.elements) {
      renames.set(element.name.getStart(source), finalName(from, (element.propertyName ?? element.name).text));
    }
  }
  const edits = [];
  for (const [at, to] of renames) {
    for (const loc of service.findRenameLocations(name, at, false, false, { providePrefixAndSuffixTextForRename: true }) ?? []) {
      edits.push({ start: loc.textSpan.start, end: loc.textSpan.start + loc.textSpan.length, text: `${loc.prefixText ?? ''}${to}${loc.suffixText ?? ''}` });
    }
  }
  let text = module.text;
  for (const edit of [...new Map(edits.map((e) => [e.start, e])).values()].sort((a, b) => b.start - a.start)) {
    text = text.slice(0, edit.start) + edit.text + text.slice(edit.end);
  }
  return readModule(module.file, text).code;
}

const entryExports = main.exports.map((e) => (e.from ? `${finalName(e.from, e.imported)} as ${e.exported}` : e.local === e.exported ? e.local : `${e.local} as ${e.exported}`));
const parts = [...order.map(hoisted), `export { ${entryExports.join(', ')} };`];

const { outputText, diagnostics } = ts.transpileModule(parts.join('\n'), {
  reportDiagnostics: true,
  compilerOptions: { target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.ESNext, removeComments: true },
});
if (diagnostics?.length) fail(entry, `could not be bundled: ${ts.flattenDiagnosticMessageText(diagnostics[0].messageText, '\n')}`);
writeFileSync(output, `/*! vidhook/browser, MIT */\n${compact(outputText, new Set(main.exports.filter((e) => !e.from).map((e) => e.local)))}`);
