/**
 * The one-line text of a community's process tree (`AnomalousCommunity.chain`), for lists,
 * alerts and terminals.
 */

/**
 * The community's process tree in one line, e.g.
 * "winword.exe → cmd.exe → powershell.exe → {net.exe ×2, whoami.exe}".
 *
 * Iterative, and each subtree's text is kept only to `maxLength` characters: an intruder can make
 * a chain as deep as they like (a 100,000-deep chain overflowed the stack of the recursive
 * version, and whole texts per level are quadratic). Siblings are still ordered and counted by
 * their whole text: a text's length and an id per distinct subtree stand in for it, and where
 * two texts agree on their first `maxLength` characters their order cannot show in the result.
 */
export function renderChain(
  edges: ReadonlyArray<{
    parentKey: string;
    childKey: string;
    parentName: string;
    childName: string;
  }>,
  maxLength = 300,
): string {
  const cap = Math.max(1, maxLength);
  const names = new Map<string, string>();
  const kids = new Map<string, string[]>();
  const kidSets = new Map<string, Set<string>>();
  const isChild = new Set<string>();
  for (const e of edges) {
    names.set(e.parentKey, e.parentName);
    names.set(e.childKey, e.childName);
    if (e.parentKey === e.childKey) continue;
    const set = kidSets.get(e.parentKey);
    if (set) {
      if (!set.has(e.childKey)) {
        set.add(e.childKey);
        kids.get(e.parentKey)?.push(e.childKey);
      }
    } else {
      kidSets.set(e.parentKey, new Set([e.childKey]));
      kids.set(e.parentKey, [e.childKey]);
    }
    isChild.add(e.childKey);
  }

  // A subtree's text: its first `cap` characters, its whole length, and an id that is the same
  // for two subtrees exactly when their names and (recursively) their children's texts are.
  interface Text {
    head: string;
    length: number;
    id: number;
  }
  const ids = new Map<string, number>();
  const idOf = (key: string): number => {
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = ids.size));
    return id;
  };
  const leaf = (name: string): Text => ({
    head: name.slice(0, cap),
    length: name.length,
    id: idOf(`${name.length}:${name}|`),
  });
  /** Appends to a head without letting it grow past `cap`. */
  const add = (head: string, piece: string): string =>
    head.length >= cap ? head : (head + piece).slice(0, cap);
  const byText = (a: Text, b: Text): number => {
    if (a.head !== b.head) return a.head < b.head ? -1 : 1;
    // Equal heads: a whole text that is shorter is a prefix of the other; past `cap` the order
    // cannot show, so the id only keeps the sort deterministic.
    return a.length - b.length || a.id - b.id;
  };
  const combine = (name: string, parts: Text[]): Text => {
    const counts = new Map<number, { text: Text; n: number }>();
    for (const p of parts) {
      const c = counts.get(p.id);
      if (c) c.n++;
      else counts.set(p.id, { text: p, n: 1 });
    }
    const uniq = [...counts.values()].sort((a, b) => byText(a.text, b.text));
    const braces = uniq.length !== 1;
    let head = add(name, braces ? ' → {' : ' → ');
    let length = name.length + (braces ? 4 : 3);
    let key = `${name.length}:${name}|`;
    uniq.forEach(({ text, n }, i) => {
      if (i > 0) {
        head = add(head, ', ');
        length += 2;
      }
      head = add(head, text.head);
      length += text.length;
      if (n > 1) {
        const times = ` ×${n}`;
        head = add(head, times);
        length += times.length;
      }
      key += `${text.id}*${n},`;
    });
    if (braces) {
      head = add(head, '}');
      length += 1;
    }
    return { head, length, id: idOf(key) };
  };

  const seen = new Set<string>();
  /** Depth-first with an explicit stack; a node met again (a cycle, bad data) is its name. */
  const render = (root: string): Text => {
    interface Frame {
      node: string;
      kids: string[];
      next: number;
      parts: Text[];
    }
    seen.add(root);
    const stack: Frame[] = [{ node: root, kids: kids.get(root) ?? [], next: 0, parts: [] }];
    for (;;) {
      const top = stack[stack.length - 1] as Frame;
      if (top.next < top.kids.length) {
        const k = top.kids[top.next++] as string;
        if (seen.has(k)) {
          top.parts.push(leaf(names.get(k) ?? '?'));
          continue;
        }
        seen.add(k);
        stack.push({ node: k, kids: kids.get(k) ?? [], next: 0, parts: [] });
        continue;
      }
      stack.pop();
      const name = names.get(top.node) ?? '?';
      const text = top.parts.length === 0 ? leaf(name) : combine(name, top.parts);
      const parent = stack[stack.length - 1];
      if (!parent) return text;
      parent.parts.push(text);
    }
  };
  const parts: Text[] = [];
  for (const e of edges)
    if (!isChild.has(e.parentKey) && !seen.has(e.parentKey)) parts.push(render(e.parentKey));
  // Whatever is left hangs in a cycle (bad data): start it anywhere.
  for (const e of edges) if (!seen.has(e.parentKey)) parts.push(render(e.parentKey));
  let head = '';
  let length = 0;
  parts.forEach((p, i) => {
    if (i > 0) {
      head = add(head, '; ');
      length += 2;
    }
    head = add(head, p.head);
    length += p.length;
  });
  return length > maxLength ? `${head.slice(0, maxLength - 1)}…` : head;
}
