// The manifest is code (house style): fail when a contributed command is never registered or a
// registered one is not contributed, when a command lacks a category or an icon, when a menu names an
// unknown command, or when a setting lacks a markdownDescription.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
const problems = [];

function tsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

// Registered ids: the keys of command tables and literal registerCommand calls in src/extension.
const registered = new Set();
for (const file of tsFiles('src/extension')) {
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/['"](comfyuiRunner\.[A-Za-z0-9.]+)['"]\s*:/g)) registered.add(m[1]);
  for (const m of text.matchAll(/registerCommand\(\s*['"](comfyuiRunner\.[A-Za-z0-9.]+)['"]/g))
    registered.add(m[1]);
}

const contributed = new Map((manifest.contributes?.commands ?? []).map((c) => [c.command, c]));
for (const [id, c] of contributed) {
  if (!registered.has(id)) problems.push(`command ${id} is contributed but never registered`);
  if (!c.category) problems.push(`command ${id} has no category`);
  if (!c.icon) problems.push(`command ${id} has no icon`);
}
for (const id of registered)
  if (!contributed.has(id)) problems.push(`command ${id} is registered but not contributed`);

for (const [menu, entries] of Object.entries(manifest.contributes?.menus ?? {})) {
  for (const e of entries) {
    if (e.command && !contributed.has(e.command))
      problems.push(`menu ${menu} names unknown command ${e.command}`);
  }
}

const sections = [manifest.contributes?.configuration ?? []].flat();
for (const section of sections) {
  if (!section.title) problems.push('a configuration section has no title');
  for (const [key, prop] of Object.entries(section.properties ?? {})) {
    if (!prop.markdownDescription) problems.push(`setting ${key} has no markdownDescription`);
  }
}

if (problems.length) {
  for (const p of problems) console.error(`check:manifest: ${p}`);
  process.exit(1);
}
console.log(`check:manifest: ${contributed.size} commands, all registered and contributed`);
