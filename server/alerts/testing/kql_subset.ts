/**
 * Just enough KQL to run the shipped rule's query against Elasticsearch in tests: clauses
 * `field: "value"` or `field: value` joined by `and`. Translated as Kibana's KQL does
 * (@kbn/es-query, kuery `is` function): a quoted value becomes `match_phrase`, a bare one `match`,
 * each clause a filter of one `bool`. Anything else throws, so the rule cannot grow syntax this
 * translation silently gets wrong.
 */
import type { estypes } from '@elastic/elasticsearch';

const CLAUSE = /^\s*([A-Za-z0-9_.@]+)\s*:\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"()]+))\s*$/;

export function kqlToDsl(kql: string): estypes.QueryDslQueryContainer {
  const clauses = kql.split(/\s+and\s+/i);
  const filter = clauses.map((clause): estypes.QueryDslQueryContainer => {
    const m = CLAUSE.exec(clause);
    if (!m) throw new Error(`KQL clause not supported by this translation: ${clause.trim()}`);
    const [, field, quoted, bare] = m;
    return quoted !== undefined
      ? { match_phrase: { [field!]: quoted.replace(/\\(.)/g, '$1') } }
      : { match: { [field!]: bare! } };
  });
  return { bool: { filter } };
}
