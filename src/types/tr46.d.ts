// tr46 ships no type declarations; this covers the one function the normaliser uses.
declare module 'tr46' {
  interface ToASCIIOptions {
    checkHyphens?: boolean;
    checkBidi?: boolean;
    checkJoiners?: boolean;
    useSTD3ASCIIRules?: boolean;
    transitionalProcessing?: boolean;
    verifyDNSLength?: boolean;
    ignoreInvalidPunycode?: boolean;
  }
  /** UTS #46 ToASCII; returns null when the name is invalid. */
  function toASCII(domain: string, options?: ToASCIIOptions): string | null;
  function toUnicode(domain: string, options?: ToASCIIOptions): { domain: string; error: boolean };
  const tr46: { toASCII: typeof toASCII; toUnicode: typeof toUnicode };
  export default tr46;
}
