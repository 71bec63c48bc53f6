package web

var SafeRow = safeRow
