// The build step: render src/page.md with the settings in src/site.yml into dist/.
// Uses every direct dependency, so a missing package fails the build.
'use strict';
const fs = require('fs');
const path = require('path');
const yaml = require('js-yaml');
const { marked } = require('marked');
const semver = require('semver');
const chalk = require('chalk');
const yargs = require('yargs/yargs');

const argv = yargs(process.argv.slice(2)).option('out', { type: 'string', default: 'dist' }).parse();
const site = yaml.load(fs.readFileSync(path.join('src', 'site.yml'), 'utf8'));
if (!semver.valid(site.version)) throw new Error(`site.yml: bad version ${site.version}`);
const body = marked.parse(fs.readFileSync(path.join('src', 'page.md'), 'utf8'));
const html = `<!doctype html>\n<title>${site.title} ${semver.clean(site.version)}</title>\n${body}`;
fs.mkdirSync(argv.out, { recursive: true });
fs.writeFileSync(path.join(argv.out, 'index.html'), html);
fs.writeFileSync(path.join(argv.out, 'version.txt'), `${site.version}\n`);
console.log(chalk.green(`built ${argv.out}/index.html (${html.length} bytes)`));
