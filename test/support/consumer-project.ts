/**
 * A throwaway ES module project that installs this package by name, as a consumer's would: its
 * node_modules holds a symlink to this repository (package.json's exports pick dist/) and one to
 * each other package it names, from this repository's node_modules. A package we do not depend
 * on is not there, so code importing it fails to resolve.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { PACKAGE_ROOT } from './built-package.js';

export interface ConsumerProject {
  dir: string;
  /** Writes `text` to `name` in the project; returns its path. */
  write(name: string, text: string): string;
  remove(): void;
}

/** `ethers` for `ethers`, `@types/node` for `@types/node/x`, nothing for relative or node: ones. */
function packageName(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The packages a TypeScript or JavaScript source imports. */
export function importedPackages(code: string): string[] {
  return ts
    .preProcessFile(code)
    .importedFiles.flatMap(({ fileName }) => packageName(fileName) ?? []);
}

/** A new project in the temp dir with `packages` (and `imx-metadata-refresh`) installed. */
export function createConsumerProject(packages: Iterable<string>): ConsumerProject {
  const dir = mkdtempSync(join(tmpdir(), 'imx-consumer-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module' }));
  for (const name of new Set(['imx-metadata-refresh', ...packages])) {
    const link = join(dir, 'node_modules', name);
    mkdirSync(dirname(link), { recursive: true });
    const target =
      name === 'imx-metadata-refresh' ? PACKAGE_ROOT : join(PACKAGE_ROOT, 'node_modules', name);
    symlinkSync(target, link, 'dir');
  }
  return {
    dir,
    write(name, text) {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
