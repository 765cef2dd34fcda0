// gatehouse-auth/client — generated from src/client/ by `npm run build:client`; do not edit.
// src/client/errors.ts
var GatehouseClientError = class extends Error {
  constructor(code, message, status = 0, fields) {
    super(message);
    this.code = code;
    this.status = status;
    this.fields = fields;
  }
  code;
  status;
  fields;
  name = "GatehouseClientError";
};
async function errorFrom(res) {
  try {
    const body = await res.json();
    const e = body.error;
    if (e && typeof e.code === "string")
      return new GatehouseClientError(
        e.code,
        typeof e.message === "string" ? e.message : e.code,
        res.status,
        e.fields && typeof e.fields === "object" ? e.fields : void 0
      );
  } catch {
  }
  return new GatehouseClientError("HTTP_ERROR", `The server answered ${res.status}.`, res.status);
}

// src/client/pkce.ts
function base64url(bytes) {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
function createVerifier() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}
async function challengeOf(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

// src/client/app-sign-in.ts
function pendingArea() {
  const area = globalThis.sessionStorage;
  if (!area) throw new Error("gatehouse client: app sign-in needs sessionStorage");
  return area;
}
var pendingKey = (host) => `${host.storageKey}.pkce`;
async function startAppSignIn(host, provider, options = {}) {
  const here = globalThis.location;
  const redirectUri = options.redirectUri ?? (here ? `${here.origin}${here.pathname}` : "");
  if (!redirectUri) throw new Error("gatehouse client: loginWith needs a redirectUri here");
  const verifier = createVerifier();
  const pending = { verifier, provider, redirectUri };
  pendingArea().setItem(pendingKey(host), JSON.stringify(pending));
  const query = new URLSearchParams({
    redirect_uri: redirectUri,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: "S256"
  });
  return host.url(`/auth/oauth/${encodeURIComponent(provider)}?${query}`);
}
async function completeAppSignIn(host, fetcher, url) {
  const params = new URL(url).searchParams;
  const code = params.get("code");
  const failed = params.get("error");
  if (!code && !failed) return null;
  const area = pendingArea();
  const raw = area.getItem(pendingKey(host));
  area.removeItem(pendingKey(host));
  if (!raw) throw new GatehouseClientError("NO_PENDING_SIGN_IN", "No sign-in was started in this tab.");
  if (failed) throw new GatehouseClientError(failed, params.get("error_description") ?? failed);
  const pending = JSON.parse(raw);
  const res = await fetcher(host.url("/api/auth/oauth/token"), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code, code_verifier: pending.verifier }),
    credentials: "omit"
  });
  if (!res.ok) throw await errorFrom(res);
  return host.acceptTokens(await res.json());
}
function dropCodeFromAddressBar(here) {
  const clean = new URL(here.href);
  for (const k of ["code", "error", "error_description"]) clean.searchParams.delete(k);
  history.replaceState(history.state, "", clean.pathname + clean.search + clean.hash);
}

// src/client/requests.ts
function isForServer(input, baseUrl) {
  const raw = input instanceof Request ? input.url : String(input);
  if (raw.startsWith("/") && !raw.startsWith("//")) return true;
  try {
    const target = new URL(raw);
    const base = new URL(baseUrl || "http://invalid");
    return target.origin === base.origin && target.pathname.startsWith(base.pathname.replace(/\/?$/, "/"));
  } catch {
    return false;
  }
}
function jsonInit(body) {
  return { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

// src/client/storage.ts
function memoryAdapter() {
  const values = /* @__PURE__ */ new Map();
  return {
    get: (k) => values.get(k) ?? null,
    set: (k, v) => void values.set(k, v),
    remove: (k) => void values.delete(k)
  };
}
function webStorage(area) {
  const storage = globalThis[area];
  if (!storage) throw new Error(`gatehouse client: ${area} is not available here`);
  return {
    get: (k) => storage.getItem(k),
    set: (k, v) => storage.setItem(k, v),
    remove: (k) => storage.removeItem(k),
    shared: area === "localStorage"
  };
}
function tokenStateOf(value) {
  const v = value;
  if (typeof v?.access_token !== "string" || typeof v.refresh_token !== "string") return null;
  return {
    access_token: v.access_token,
    refresh_token: v.refresh_token,
    expires_at: typeof v.expires_at === "number" ? v.expires_at : 0
  };
}
function parse(raw) {
  if (!raw) return null;
  try {
    return tokenStateOf(JSON.parse(raw));
  } catch {
    return null;
  }
}
function tokenStore(choice, key) {
  const adapter = choice === "memory" ? memoryAdapter() : choice === "local" ? webStorage("localStorage") : choice === "session" ? webStorage("sessionStorage") : choice;
  return {
    shared: adapter.shared === true,
    load: async () => parse(await adapter.get(key)),
    save: async (state) => {
      await adapter.set(key, JSON.stringify(state));
    },
    clear: async () => {
      await adapter.remove(key);
    }
  };
}

// src/client/tabs.ts
async function withTabLock(name, task) {
  const locks = globalThis.navigator?.locks;
  if (!locks?.request) return task(false);
  const free = await locks.request(
    name,
    { mode: "exclusive", ifAvailable: true },
    async (lock) => lock ? { value: await task(false) } : null
  );
  if (free) return free.value;
  return locks.request(name, { mode: "exclusive" }, () => task(true));
}
function messageOf(data) {
  const type = data?.type;
  if (type === "logout" || type === "refresh-failed") return { type };
  if (type !== "tokens") return null;
  const state = tokenStateOf(data.state);
  return state ? { type, state } : null;
}
var OtherTabs = class {
  #channel;
  #waiters = /* @__PURE__ */ new Set();
  #heard = 0;
  constructor(name, onMessage) {
    this.#channel = name !== null && typeof BroadcastChannel === "function" ? new BroadcastChannel(name) : null;
    if (!this.#channel) return;
    this.#channel.onmessage = (event) => {
      const message = messageOf(event.data);
      if (!message) return;
      this.#heard++;
      for (const wake of this.#waiters) wake();
      onMessage(message);
    };
  }
  /** Messages heard so far. */
  get heard() {
    return this.#heard;
  }
  post(message) {
    this.#channel?.postMessage(message);
  }
  /** Resolves when the next message is heard, or after `timeoutMs`. */
  nextMessage(timeoutMs) {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#waiters.add(done);
    });
  }
  close() {
    this.#channel?.close();
  }
};

// src/client/token-keeper.ts
var TAB_WAIT_MS = 1e3;
var TokenKeeper = class {
  #store;
  #lockName;
  #leewayMs;
  #now;
  #sendRefresh;
  #tabs;
  #listeners = /* @__PURE__ */ new Set();
  #state = null;
  #loaded = null;
  #refreshing = null;
  constructor(options) {
    this.#store = options.store;
    this.#lockName = `gatehouse-refresh:${options.storageKey}`;
    this.#leewayMs = options.leewayMs;
    this.#now = options.now;
    this.#sendRefresh = options.sendRefresh;
    const shared = this.#store.shared ? `gatehouse:${options.storageKey}` : null;
    this.#tabs = new OtherTabs(shared, (m) => this.#fromOtherTab(m));
  }
  /** The state as last known here; call ready() first. */
  get state() {
    return this.#state;
  }
  /** Loads the stored state once. */
  ready() {
    this.#loaded ??= this.#store.load().then((state) => {
      this.#state ??= state;
    });
    return this.#loaded;
  }
  /** The access token expires within the leeway. */
  expiresSoon(state) {
    return state.expires_at - this.#now() < this.#leewayMs;
  }
  /** Keeps a pair the server issued and tells the other tabs. */
  accept(pair, type = "login") {
    const state = {
      access_token: pair.access_token,
      refresh_token: pair.refresh_token,
      expires_at: this.#now() + pair.expires_in * 1e3
    };
    return this.#set(state, type).then(() => state);
  }
  /** Forgets the tokens here, in storage and in the other tabs. */
  clear() {
    return this.#set(null, "logout");
  }
  /**
   * Swaps the refresh token for a new pair, once for every caller at the same time. `spent`
   * is the access token the caller found expired or refused (default the current one): when
   * the state already moved past it, nothing is sent. Null when logged out.
   */
  refresh(spent) {
    const base = spent ?? this.#state?.access_token;
    const heard = this.#tabs.heard;
    const run = (contended) => this.#refreshLocked(base, contended && this.#tabs.heard === heard);
    this.#refreshing ??= (this.#store.shared ? withTabLock(this.#lockName, run) : run(false)).finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }
  onChange(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  close() {
    this.#tabs.close();
    this.#listeners.clear();
  }
  /** `waitForTab`: another tab held the lock and nothing was heard from it yet. */
  async #refreshLocked(asked, waitForTab) {
    await this.ready();
    const base = asked ?? this.#state?.access_token;
    let current = await this.#newest(base);
    if (waitForTab && current && current.access_token === base) {
      await this.#tabs.nextMessage(TAB_WAIT_MS);
      current = await this.#newest(base);
    }
    if (!current) return null;
    if (current.access_token !== base && !this.expiresSoon(current)) return current;
    let res;
    try {
      res = await this.#sendRefresh(current.refresh_token);
    } catch (error) {
      this.#tabs.post({ type: "refresh-failed" });
      throw error;
    }
    if (res.ok) return this.accept(await res.json(), "refresh");
    if (res.status === 400 || res.status === 401) {
      await this.clear();
      return null;
    }
    this.#tabs.post({ type: "refresh-failed" });
    throw await errorFrom(res);
  }
  /**
   * The newest state this tab can know: its own (kept current by the other tabs' messages),
   * or shared storage when that already shows a pair past `base`. A storage that reads empty
   * is not taken for a logout: a logout arrives as a message, and storage may lag behind.
   */
  async #newest(base) {
    const mine = this.#state;
    if (!this.#store.shared || !mine || mine.access_token !== base) return mine;
    const stored = await this.#store.load();
    if (stored && stored.access_token !== base) this.#state = stored;
    return this.#state;
  }
  async #set(state, type) {
    this.#state = state;
    if (state) await this.#store.save(state);
    else await this.#store.clear();
    this.#tabs.post(state ? { type: "tokens", state } : { type: "logout" });
    this.#emit({ type, remote: false });
  }
  #fromOtherTab(message) {
    if (message.type === "refresh-failed") return;
    const had = this.#state !== null;
    this.#state = message.type === "logout" ? null : message.state;
    this.#emit({ type: message.type === "logout" ? "logout" : had ? "refresh" : "login", remote: true });
  }
  #emit(change) {
    for (const listener of this.#listeners) listener(change);
  }
};

// src/client/client.ts
var GatehouseClient = class {
  baseUrl;
  storageKey;
  #fetch;
  #tokens;
  constructor(options = {}) {
    const origin = globalThis.location?.origin ?? "";
    this.baseUrl = (options.baseUrl ?? origin).replace(/\/+$/, "");
    this.storageKey = options.storageKey ?? "gatehouse.tokens";
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#tokens = new TokenKeeper({
      store: tokenStore(options.storage ?? "memory", this.storageKey),
      storageKey: this.storageKey,
      leewayMs: (options.refreshLeeway ?? 30) * 1e3,
      now: options.now ?? Date.now,
      sendRefresh: (refreshToken) => this.#post("/api/auth/refresh", { refresh_token: refreshToken })
    });
  }
  /** `POST /api/auth/signup`: creates the account (log in afterwards). */
  async signUp(input) {
    const body = await this.#json("/api/auth/signup", input);
    return body.user;
  }
  /** `POST /api/auth/login` with a username or email and the password; keeps the tokens. */
  async login(input) {
    const res = await this.#post("/api/auth/login", input);
    if (res.status === 202)
      throw new GatehouseClientError("SIGN_IN_PENDING", "A second step is required.", 202);
    if (!res.ok) throw await errorFrom(res);
    return this.acceptTokens(await res.json());
  }
  /**
   * Keeps a token pair the server issued (login, app sign-in) and tells the other tabs.
   * Returns the pair's user when it came with one, else `GET /api/me`.
   */
  async acceptTokens(pair) {
    await this.#tokens.accept(pair);
    return pair.user ?? this.me();
  }
  /** Ends the refresh family and the access token on the server, and forgets both here. */
  async logout() {
    await this.#tokens.ready();
    const state = this.#tokens.state;
    try {
      if (state) await this.fetch("/api/auth/logout", jsonInit({ refresh_token: state.refresh_token }));
    } finally {
      await this.#tokens.clear();
    }
  }
  /** `GET /api/me`: the signed-in user; throws UNAUTHENTICATED when there is none. */
  async me() {
    const res = await this.fetch("/api/me");
    if (!res.ok) throw await errorFrom(res);
    return (await res.json()).user;
  }
  /** "Login with a saved token": the user when the stored tokens still work, else null (and they are cleared). */
  async restore() {
    await this.#tokens.ready();
    if (!this.#tokens.state) return null;
    try {
      return await this.me();
    } catch (error) {
      if (error instanceof GatehouseClientError && error.status === 401) {
        await this.#tokens.clear();
        return null;
      }
      throw error;
    }
  }
  /** `GET /api/auth/providers`: the sign-in providers the server offers. */
  async providers() {
    const res = await this.#fetch(this.url("/api/auth/providers"), { credentials: "omit" });
    if (!res.ok) throw await errorFrom(res);
    return (await res.json()).providers;
  }
  /**
   * App sign-in with a provider: makes the PKCE pair and sends the browser to the server's
   * provider flow. Back on `redirectUri`, call completeLoginWith().
   */
  async loginWith(provider, options = {}) {
    const target = await startAppSignIn(this, provider, options);
    globalThis.location?.assign(target);
  }
  /**
   * On the redirect URI (default this page's URL): swaps `?code=` and the kept verifier for
   * the tokens, removes the code from the address bar, and returns the user — or null when
   * the URL carries no code. Throws NO_PENDING_SIGN_IN for a code this tab did not ask for.
   */
  async completeLoginWith(url) {
    const here = globalThis.location;
    const target = url ?? here?.href;
    if (!target) return null;
    const user = await completeAppSignIn(this, this.#fetch, target);
    if (user && here && !url) dropCodeFromAddressBar(here);
    return user;
  }
  /** Tokens are held (they may still need a refresh). */
  get loggedIn() {
    return this.#tokens.state !== null;
  }
  /** Hears logins, refreshes and logouts, this tab's and (with shared storage) the others'. */
  onChange(listener) {
    return this.#tokens.onChange(listener);
  }
  /** Stops listening to the other tabs. */
  close() {
    this.#tokens.close();
  }
  /**
   * fetch() with `Authorization: Bearer` for requests to the server (never to another
   * origin). Refreshes first when the access token expires within the leeway, and once more
   * on a 401. A body that is a stream cannot be sent twice: such a request is not retried.
   */
  async fetch(input, init = {}) {
    await this.#tokens.ready();
    let state = this.#tokens.state;
    if (state && this.#tokens.expiresSoon(state)) state = await this.refresh(state.access_token);
    const ours = isForServer(input, this.baseUrl);
    const used = ours ? state?.access_token ?? null : null;
    const retry = input instanceof Request ? input.clone() : input;
    const res = await this.#send(input, init, used);
    if (res.status !== 401 || !used || init.body instanceof ReadableStream) return res;
    const next = await this.refresh(used);
    return next ? this.#send(retry, init, next.access_token) : res;
  }
  /**
   * Swaps the refresh token for a new pair — once, however many callers ask at the same
   * time, in this tab (one promise) and across tabs (the lock; a tab that waited for it adopts
   * the pair the first one announced). `spent` is the access token the caller found expired or
   * refused (default the current one): when the state already moved past it, nothing is sent.
   * Null when logged out.
   */
  refresh(spent) {
    return this.#tokens.refresh(spent);
  }
  /** A path on the server as an absolute URL. */
  url(path) {
    return `${this.baseUrl}${path}`;
  }
  #send(input, init, token) {
    const target = typeof input === "string" && input.startsWith("/") ? this.url(input) : input;
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : void 0));
    if (token) headers.set("authorization", `Bearer ${token}`);
    return this.#fetch(target, { credentials: "omit", ...init, headers });
  }
  #post(path, body) {
    return this.#fetch(this.url(path), { ...jsonInit(body), credentials: "omit" });
  }
  async #json(path, body) {
    const res = await this.#post(path, body);
    if (!res.ok) throw await errorFrom(res);
    return await res.json();
  }
};

// src/entries/client.ts
function createClient(options = {}) {
  return new GatehouseClient(options);
}
export {
  GatehouseClient,
  GatehouseClientError,
  challengeOf,
  createClient,
  createVerifier
};
