/**
 * Splits a Windows command line into argv the way CommandLineToArgvW / the MSVC runtime do,
 * so `process.args` matches what Elastic Defend reports for the same process:
 *  - argv[0] (the program) ends at the closing quote if it starts with one, else at the first
 *    space or tab; backslashes in it are literal.
 *  - later arguments: whitespace separates them outside quotes; 2n backslashes before a quote
 *    give n backslashes and the quote toggles quoting; 2n+1 give n backslashes and a literal
 *    quote; `""` inside a quoted span is a literal quote (post-2008 runtime rule); other
 *    backslashes are literal.
 * Single pass over the string, so megabyte command lines cost linear time. The number of
 * arguments is capped (the command line itself is never altered) to bound what a hostile
 * record can make downstream stages allocate.
 */
export function parseWindowsCommandLine(cmd: string, maxArgs = 1024): string[] {
  const args: string[] = [];
  const n = cmd.length;
  let i = 0;
  while (i < n && isBlank(cmd.charCodeAt(i))) {
    i++;
  }
  if (i >= n) {
    return args;
  }

  // argv[0]: no escape processing.
  if (cmd.charCodeAt(i) === 34) {
    const close = cmd.indexOf('"', i + 1);
    const end = close < 0 ? n : close;
    args.push(cmd.slice(i + 1, end));
    i = close < 0 ? n : close + 1;
  } else {
    const start = i;
    while (i < n && !isBlank(cmd.charCodeAt(i))) {
      i++;
    }
    args.push(cmd.slice(start, i));
  }

  while (i < n && args.length < maxArgs) {
    while (i < n && isBlank(cmd.charCodeAt(i))) {
      i++;
    }
    if (i >= n) {
      break;
    }
    let cur = '';
    let segStart = i;
    let inQuotes = false;
    while (i < n) {
      const c = cmd.charCodeAt(i);
      if (!inQuotes && isBlank(c)) {
        break;
      }
      if (c === 92 /* \ */) {
        let j = i;
        while (j < n && cmd.charCodeAt(j) === 92) {
          j++;
        }
        const count = j - i;
        if (j < n && cmd.charCodeAt(j) === 34) {
          cur += cmd.slice(segStart, i) + '\\'.repeat(count >> 1);
          if (count & 1) {
            cur += '"';
            i = j + 1;
          } else {
            i = j; // the quote is handled as a quote on the next turn
          }
          segStart = i;
        } else {
          i = j; // literal backslashes stay in the pending segment
        }
        continue;
      }
      if (c === 34 /* " */) {
        cur += cmd.slice(segStart, i);
        if (inQuotes && i + 1 < n && cmd.charCodeAt(i + 1) === 34) {
          cur += '"';
          i += 2;
        } else {
          inQuotes = !inQuotes;
          i += 1;
        }
        segStart = i;
        continue;
      }
      i++;
    }
    cur += cmd.slice(segStart, i);
    args.push(cur);
  }
  return args;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}
