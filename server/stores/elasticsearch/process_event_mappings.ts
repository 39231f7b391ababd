/**
 * ECS process-creation event mappings restricted to core field types (keyword, text, date, long,
 * boolean, ip, float): the ECS templates' match_only_text / wildcard / constant_keyword need modules
 * that minimal clusters (and the test distribution) lack, and we never rely on them.
 */
import type { estypes } from '@elastic/elasticsearch';

const keyword = { type: 'keyword', ignore_above: 1024 } as const;
const commandLine = {
  type: 'keyword',
  ignore_above: 8192,
  fields: { text: { type: 'text' } },
} as const;

const processFields: Record<string, estypes.MappingProperty> = {
  entity_id: keyword,
  pid: { type: 'long' },
  name: { ...keyword, fields: { text: { type: 'text' } } },
  executable: { ...keyword, fields: { text: { type: 'text' } } },
  command_line: commandLine,
  args: keyword,
  working_directory: keyword,
  start: { type: 'date' },
};

export const PROCESS_EVENT_MAPPINGS: estypes.MappingTypeMapping = {
  dynamic: false,
  properties: {
    '@timestamp': { type: 'date' },
    host: { properties: { name: keyword, ip: { type: 'ip' } } },
    event: {
      properties: {
        category: keyword,
        type: keyword,
        action: keyword,
        id: keyword,
        code: keyword,
        kind: keyword,
      },
    },
    process: {
      properties: {
        ...processFields,
        pe: { properties: { original_file_name: keyword } },
        code_signature: {
          properties: {
            exists: { type: 'boolean' },
            trusted: { type: 'boolean' },
            subject_name: keyword,
          },
        },
        hash: { properties: { sha256: keyword, sha1: keyword, md5: keyword } },
        Ext: {
          properties: {
            token: {
              properties: {
                elevation: { type: 'boolean' },
                elevation_type: keyword,
                integrity_level_name: keyword,
              },
            },
          },
        },
        parent: { properties: processFields },
      },
    },
    user: { properties: { name: keyword, id: keyword, domain: keyword } },
    problemchild: {
      properties: {
        prediction_probability: { type: 'float' },
        sources: { type: 'object', enabled: false },
      },
    },
  },
};
