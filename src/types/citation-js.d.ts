// Minimal typings for the parts of citation-js this project uses (the packages ship none).
declare module '@citation-js/core' {
  export class Cite {
    constructor(data: unknown);
    format(format: 'bibtex' | 'bibliography' | 'data', options?: Record<string, unknown>): string;
  }
}
declare module '@citation-js/plugin-bibtex';
