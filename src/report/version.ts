/** The tool's version, reported in --version and JSON documents (kept equal to package.json's). */
export const TOOL_VERSION = '0.1.0';
