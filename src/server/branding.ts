import { readFileSync } from 'node:fs'
import { extname } from 'node:path'
import { AuthError } from '../core/errors.ts'
import type { ServerConfig } from './config.ts'

/** What the pages need to look like the operator's product: name, logo, primary colour. */
export interface Branding {
  appName: string
  primaryColor: string
  /** Where the header's <img> points: the configured URL, /static/logo for a file, or null. */
  logoSrc: string | null
  /** The logo file's bytes and type, served at /static/logo. */
  logoFile: { body: Uint8Array; type: string } | null
  /** Origins the CSP must allow images from (an external logo URL). */
  imageOrigins: string[]
  /** /static/brand.css: the primary colour as CSS custom properties. */
  css: string
}

const LOGO_TYPES: Record<string, string> = {
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
}
/** The pages' primary colour when none is configured (config.ts's default too). */
export const DEFAULT_PRIMARY_COLOR = '#4f46e5'

const MAX_LOGO_BYTES = 512 * 1024

/** Reads the branding settings once at start (config.ts has validated their shape). */
export function loadBranding(
  config: Pick<ServerConfig, 'appName' | 'primaryColor' | 'logoUrl' | 'logoFile'>,
): Branding {
  let logoFile: Branding['logoFile'] = null
  if (config.logoFile) {
    let body: Buffer
    try {
      body = readFileSync(config.logoFile)
    } catch (error) {
      throw new AuthError('CONFIG_INVALID', {
        message: `Invalid server setting "logoFile" (GATEHOUSE_LOGO_FILE): cannot read ${config.logoFile}: ${(error as Error).message}`,
      })
    }
    if (body.length > MAX_LOGO_BYTES)
      throw new AuthError('CONFIG_INVALID', {
        message: `Invalid server setting "logoFile" (GATEHOUSE_LOGO_FILE): larger than ${MAX_LOGO_BYTES / 1024} KB`,
      })
    logoFile = {
      body,
      type: LOGO_TYPES[extname(config.logoFile).toLowerCase()] ?? 'application/octet-stream',
    }
  }
  const logoSrc = logoFile ? '/static/logo' : (config.logoUrl ?? null)
  const imageOrigins =
    config.logoUrl && !logoFile && /^https:/.test(config.logoUrl) ? [new URL(config.logoUrl).origin] : []
  return {
    appName: config.appName,
    primaryColor: config.primaryColor,
    logoSrc,
    logoFile,
    imageOrigins,
    css: brandCss(expandHex(config.primaryColor)),
  }
}

/** #abc → #aabbcc (lower case). */
function expandHex(hex: string): string {
  const h = hex.slice(1).toLowerCase()
  return `#${h.length === 3 ? [...h].map((x) => x + x).join('') : h}`
}

/**
 * The primary colour for Pico and the theme. In dark mode a lighter mix of it keeps links and
 * the focus ring readable on the dark background; buttons keep the colour itself with white text
 * or dark text, whichever contrasts more.
 */
function brandCss(hex: string): string {
  const onBrand = relativeLuminance(hex) > 0.4 ? '#0b1120' : '#ffffff'
  return `:root {
  --gh-brand: ${hex};
  --gh-on-brand: ${onBrand};
  --gh-brand-text: color-mix(in srgb, ${hex} 82%, #000);
}
@media (prefers-color-scheme: dark) {
  :root {
    --gh-brand-text: color-mix(in srgb, ${hex} 55%, #fff);
  }
}
`
}

/** WCAG relative luminance of #rrggbb. */
export function relativeLuminance(hex: string): number {
  const channel = (i: number) => {
    const v = Number.parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4
  }
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2)
}
