/**
 * Puppeteer must never download a browser (these machines have no internet): the project drives
 * Debian's /usr/bin/chromium (scripts/setup-system.sh installs it).
 */
module.exports = { skipDownload: true };
