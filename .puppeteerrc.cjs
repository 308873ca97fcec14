/**
 * Puppeteer must never download a browser (these machines have no internet): the project drives
 * Debian's /usr/bin/chromium. See ../shared/ENVIRONMENT.md.
 */
module.exports = { skipDownload: true };
