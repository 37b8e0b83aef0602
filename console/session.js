// The signed-in key, kept for this tab only (sessionStorage: never
// localStorage, never a cookie), and what the service says it may do.
const STORAGE = 'mailkeys.key';

class Session extends EventTarget {
  constructor() {
    super();
    this.key = sessionStorage.getItem(STORAGE);
    this.me = null; // {account_id, key_id, permissions, allows, grants}
    this.notice = '';
  }

  get signedIn() { return Boolean(this.key && this.me); }

  /** Whether the key may do what `permission` grants. */
  can(permission) { return Boolean(this.me && this.me.allows.includes(permission)); }

  /** Whether the key may give `permission` to a key it creates. */
  mayGrant(permission) { return Boolean(this.me && this.me.grants.includes(permission)); }

  start(key, me) {
    this.key = key;
    this.me = me;
    this.notice = '';
    sessionStorage.setItem(STORAGE, key);
    this.dispatchEvent(new Event('change'));
  }

  signOut(notice = '') {
    const wasSignedIn = Boolean(this.key);
    this.key = null;
    this.me = null;
    this.notice = notice;
    sessionStorage.removeItem(STORAGE);
    if (wasSignedIn || notice) this.dispatchEvent(new Event('change'));
  }
}

export const session = new Session();
