/** The tool's name and version, written into every evidence bundle (kept equal to package.json by a test). */
export const TOOL = { name: 'tracemark', version: '0.1.0' } as const
