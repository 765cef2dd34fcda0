/** Environment settings are parsed strictly: a typo fails naming the variable, never picks another value. */
import { describe, expect, it } from 'vitest'
import { booleanSetting, loadServerConfig, numberSetting, readSetting } from '../src/server/config.ts'

describe('numeric settings', () => {
  it.each(['1e3', '0x1f', ' 80', '80 ', '-1', '', ' ', '8.0', '+80', '080', '65536', 'eighty'])(
    'PORT=%j is refused, naming PORT',
    (value) => {
      // '' counts as unset in the environment (the default applies), so it is checked as a value.
      if (value === '') {
        expect(loadServerConfig({ PORT: '' }).port).toBe(8000)
        expect(() => loadServerConfig({}, { port: '' })).toThrow(/"port"/)
        return
      }
      expect(() => loadServerConfig({ PORT: value })).toThrow(/"port" \(PORT\): expected a whole number/)
    },
  )

  it.each([
    ['0', 0],
    ['80', 80],
    ['65535', 65535],
  ])('PORT=%j is read as %d', (value, port) => {
    expect(loadServerConfig({ PORT: value }).port).toBe(port)
  })

  it('takes a JSON number from a config file, and refuses a fractional one', () => {
    expect(loadServerConfig({}, { port: 9000 }).port).toBe(9000)
    expect(() => loadServerConfig({}, { port: 80.5 })).toThrow(/"port"/)
  })

  it('numberSetting bounds and digits only', () => {
    const count = numberSetting(1, 10)
    expect(count.parse('10')).toBe(10)
    for (const bad of ['0', '11', '1e1', '0x2', 'Infinity', 'NaN', true, null])
      expect(count.safeParse(bad).success).toBe(false)
  })

  it('a command-line value is checked the same way, naming the flag', () => {
    expect(readSetting(numberSetting(0, 65535), 'port', '--port', '8080')).toBe(8080)
    expect(() => readSetting(numberSetting(0, 65535), 'port', '--port', '1e3')).toThrow(
      /"port" \(--port\): expected a whole number/,
    )
  })
})

describe('boolean settings', () => {
  it.each(['true', '1', 'yes', 'on', ' ON '])('%j is true', (v) => {
    expect(booleanSetting.parse(v)).toBe(true)
  })
  it.each(['false', '0', 'no', 'off'])('%j is false', (v) => {
    expect(booleanSetting.parse(v)).toBe(false)
  })
  it('anything else is refused, naming the variable', () => {
    expect(() => loadServerConfig({ GATEHOUSE_TRUST_PROXY: 'nope' })).toThrow(
      /"trustProxy" \(GATEHOUSE_TRUST_PROXY\): expected true\/1\/yes\/on or false\/0\/no\/off/,
    )
    expect(() => loadServerConfig({}, { trustProxy: 1 })).toThrow(/"trustProxy"/)
  })
})
