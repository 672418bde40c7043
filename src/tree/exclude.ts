// mkisofs -m: a glob that excludes a file or directory when it matches its basename or
// its whole path (with or without a leading `./`).

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        let body = glob.slice(i + 1, close);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += '[' + body.replace(/\\/g, '\\\\') + ']';
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp('^' + re + '$', 's');
}

export class Excluder {
  private readonly patterns: RegExp[];

  constructor(globs: readonly string[]) {
    this.patterns = globs.map((g) => globToRegExp(g.replace(/^\.\//, '').replace(/\/+$/, '')));
  }

  /** excludes() for a normalised path joined by '/' (pathKey), split only when there are
   *  patterns to match. */
  excludesKey(key: string): boolean {
    return this.patterns.length > 0 && key !== '' && this.excludes(key.split('/'));
  }

  /** True when `parts` (a normalised path) or one of its ancestors is excluded. */
  excludes(parts: readonly string[]): boolean {
    if (this.patterns.length === 0) return false;
    for (let k = 1; k <= parts.length; k++) {
      const base = parts[k - 1];
      const path = parts.slice(0, k).join('/');
      if (this.patterns.some((p) => p.test(base) || p.test(path))) return true;
    }
    return false;
  }
}
