//go:build tools

// Package tools pins the CSI specification; the build copies its csi.proto.
package tools

import _ "github.com/container-storage-interface/spec/lib/go/csi"
