import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// What `import … from 'vidhook/browser'` loads: one ES module (npm run build bundles it) with no imports of its own.

const BUNDLE = new URL('../../dist/browser/index.js', import.meta.url);
const PACKAGE = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { exports: Record<string, { default: string; types: string }> };

function bundle(): string {
  if (!existsSync(BUNDLE)) throw new Error('dist/browser/index.js is missing: run npm run build first');
  return readFileSync(BUNDLE, 'utf8');
}

describe('the vidhook/browser bundle', () => {
  it('is what the package exports as ./browser', () => {
    expect(PACKAGE.exports['./browser']).toEqual({ types: './dist/browser/index.d.ts', default: './dist/browser/index.js' });
  });

  it('stays under 3,000 bytes gzipped', () => {
    expect(gzipSync(bundle(), { level: 9 }).length).toBeLessThan(3000);
  });

  it('imports nothing (no node:*, no packages, no other files) and exports only track and clientContext', () => {
    const source = ts.createSourceFile('index.js', bundle(), ts.ScriptTarget.ES2020, true, ts.ScriptKind.JS);
    const imports: string[] = [];
    const exported: string[] = [];
    (function visit(node: ts.Node) {
      if (ts.isImportDeclaration(node) || (ts.isExportDeclaration(node) && node.moduleSpecifier)) imports.push(node.getText(source));
      if (ts.isCallExpression(node) && (node.expression.kind === ts.SyntaxKind.ImportKeyword || node.expression.getText(source) === 'require')) imports.push(node.getText(source));
      if (ts.isExportDeclaration(node) && node.exportClause && ts.isNamedExports(node.exportClause)) exported.push(...node.exportClause.elements.map((e) => e.name.text));
      ts.forEachChild(node, visit);
    })(source);
    expect(imports).toEqual([]);
    expect(exported.sort()).toEqual(['clientContext', 'track']);
    expect(bundle()).not.toMatch(/\bnode:|\bBuffer\b|\bprocess\./);
  });
});
