/**
 * The one normalised process-creation event every later stage reads (features, graphs,
 * prevalence, UI). Field names follow ECS so the same documents can live in Elasticsearch.
 */

/** Where a normalised event came from: a file line, or an Elasticsearch document. */
export type SourceRef =
  | { kind: 'file'; file: string; line: number; format: SourceFormat }
  | { kind: 'es'; index: string; id: string; format: SourceFormat };

export type SourceFormat =
  | 'ecs' // Elastic Defend / Endpoint, Winlogbeat 7+ Sysmon module, or our own generator
  | 'sysmon_flat' // NXLog-style flat Sysmon EID 1, flat 2023 exports
  | 'sysmon_winlogbeat6' // Winlogbeat 6 `event_data` Sysmon EID 1
  | 'sysmon_evtx' // EVTX flattened to System + EventData fields
  | 'security_4688'; // Windows Security 4688 (any of the shapes above)

export interface ProcessParent {
  entity_id?: string;
  pid?: number;
  name?: string;
  executable?: string;
  command_line?: string;
  /** Parent start time when the source knows it (ECS `process.parent.start`). */
  start?: string;
}

export interface ProcessEvent {
  /** ISO-8601 UTC time of the process creation (clock offsets already corrected). */
  '@timestamp': string;
  host: { name: string };
  event: {
    category: ['process'];
    type: ['start'];
    action: string;
    /** Stable id of this normalised event (derived from the source, so re-imports match). */
    id: string;
    /** Original event code when known: '1' (Sysmon) or '4688'. */
    code?: string;
  };
  process: {
    entity_id: string;
    pid?: number;
    name: string;
    executable?: string;
    command_line?: string;
    args?: string[];
    working_directory?: string;
    start?: string;
    pe?: {
      original_file_name?: string;
      imphash?: string;
      company?: string;
      product?: string;
      description?: string;
      file_version?: string;
    };
    code_signature?: { exists?: boolean; trusted?: boolean; subject_name?: string };
    hash?: { sha256?: string; md5?: string; sha1?: string };
    Ext?: {
      token?: {
        elevation?: boolean;
        elevation_type?: string;
        integrity_level_name?: string;
      };
    };
    parent: ProcessParent;
  };
  user: { name?: string; id?: string; domain?: string };
  problemchild: {
    /** Every raw record this event was built from (two when a Sysmon/4688 twin pair merged). */
    sources: SourceRef[];
    /** Elastic's ProblemChild ingest-pipeline score, kept when present on input. */
    prediction_probability?: number;
    /**
     * Correction (ms) added to a Security-log clock to align it with Sysmon's UtcTime, when
     * one was applied; absent for trusted clocks.
     */
    clock_offset_ms?: number;
  };
}

/** Labels for evaluation, one per event, joined on the event id (same layout as ../shared/data). */
export interface EventLabel {
  /** Joins to ProcessEvent.event.id (or `_rid` for ../shared/data). */
  _rid: string;
  malicious: boolean;
  role: 'attack' | 'attack_descendant' | 'background' | string;
  scenario_id?: string;
  technique?: string;
  reason?: string;
  host?: string;
  pid?: number;
  image?: string;
  parent_image?: string;
  command_line?: string;
  utc_time?: string;
  /** Fields below mirror ../shared/data labels and the synthetic generator's extras. */
  dataset?: string;
  kind?: string;
  ppid?: number;
  process_guid?: string | null;
  parent_process_guid?: string | null;
  user?: string;
  root_rid?: string | null;
  matched_sysmon_rid?: string | null;
  /** Every ATT&CK technique of the step; `technique` holds the first. */
  techniques?: string[];
  /** Scenario template name (synthetic data): scenario_id is one instance of it. */
  template?: string;
  /** Benign activity or attack template that produced the process (synthetic data). */
  activity?: string;
}

/** Per-run accounting of every input record: nothing disappears without being counted. */
export interface NormaliseSummary {
  records: number;
  normalised: number;
  mergedTwins: number;
  skipped: Record<string, number>;
  rejected: Record<string, number>;
  /** First few rejections with location, for the user to find the bad line. */
  rejections: Array<{ file: string; line: number; reason: string; id?: string }>;
  /** Estimated Security-log clock offsets (one per dataset, host and clock field). */
  clockOffsets?: Array<{
    scope: string;
    host: string;
    clock: string;
    offset_ms: number;
    samples: number;
  }>;
}
