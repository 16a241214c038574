/** Hands bytes to the browser as a file download, as a link the user clicked would. */
export function downloadBytes(fileName: string, bytes: Uint8Array<ArrayBuffer>, type = 'application/octet-stream'): void {
  downloadBlob(fileName, new Blob([bytes], { type }));
}

export function downloadBlob(fileName: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  // The download has its own reference to the blob once it started; the URL is no longer needed.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
