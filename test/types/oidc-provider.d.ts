// oidc-provider ships no types; the fixture (test/helpers/oidc-provider.ts) uses a small part of it.
declare module 'oidc-provider' {
  // biome-ignore lint/suspicious/noExplicitAny: untyped package, test-only
  type Any = any
  const Provider: Any
  type Provider = Any
  export default Provider
}
