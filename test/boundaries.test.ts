import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '..')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return /\.tsx?$/.test(entry.name) ? [path] : []
  })
}

/** Relative import specifiers of a file, resolved to paths from the repository root. */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) => m[1] as string)
  return specifiers.map((s) => relative(root, resolve(dirname(file), s)))
}

describe('module boundaries', () => {
  it('stores import nothing outside src/stores (they depend only on the contracts)', () => {
    const outside = sourceFiles(join(root, 'src/stores')).flatMap((file) =>
      relativeImports(file)
        .filter((target) => !target.startsWith('src/stores/'))
        .map((target) => `${relative(root, file)} -> ${target}`),
    )
    expect(outside).toEqual([])
  })
})
