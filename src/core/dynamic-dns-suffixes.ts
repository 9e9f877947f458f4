/**
 * Shared domains of dynamic-DNS and free-subdomain providers that the Public Suffix List (private section,
 * checked with tldts 7.6) does NOT list. Under them, anyone can register `<label>.<suffix>`, and DGAs do
 * (`svneascvmk.mooo.com`), so for scoring they behave as public suffixes: the model must see `svneascvmk`,
 * not `mooo`. Providers the PSL already covers (dyndns.org, no-ip.org, duckdns.org, ddns.net, hopto.org,
 * zapto.org, servebeer.com, dynu.net, 3utilities.com, ...) are deliberately not repeated here.
 *
 * Sources: FreeDNS (afraid.org) public shared-domain registry and ChangeIP's free domains. Add a suffix
 * here only if third parties can create names directly under it.
 */
export const DYNAMIC_DNS_SUFFIXES: ReadonlySet<string> = new Set([
  // FreeDNS (afraid.org) shared domains with the most public subdomains
  'afraid.org',
  'mooo.com',
  'yi.org',
  'chickenkiller.com',
  'us.to',
  'strangled.net',
  'twilightparadox.com',
  'crabdance.com',
  'ignorelist.com',
  'jumpingcrab.com',
  'uk.to',
  'ftp.sh',
  'mine.nu',
  'minecraftnation.net',
  'ooguy.com',
  'privatedns.org',
  'evils.in',
  'h4ck.me',
  'info.gf',
  'netlib.re',
  // ChangeIP free domains
  'changeip.com',
  'changeip.net',
  'changeip.org',
  'dynamic-dns.net',
  'ddns.info',
  'ddns.us',
  'dns04.com',
  'dns05.com',
  'dnsfailover.net',
  'ezua.com',
  'freeddns.com',
  'mrbasic.com',
  'mynumber.org',
  'ns01.biz',
  'ns01.info',
  'ns01.us',
  'ns02.biz',
  'ns02.info',
  'ns02.us',
  'onedumb.com',
  'port25.biz',
  'toshibanetcam.com',
  'x24hr.com',
]);
