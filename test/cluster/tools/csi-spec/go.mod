// Build-only module: pins the CSI specification. Nothing is compiled from it;
// the build copies its csi.proto into the cache, where the test bed's CSI driver
// loads it, so the driver speaks exactly the protocol the sidecars were built with.
module stateful.dev/testcluster/csi-spec

go 1.26.0

require github.com/container-storage-interface/spec v1.13.0

require (
	golang.org/x/net v0.55.0 // indirect
	golang.org/x/sys v0.45.0 // indirect
	golang.org/x/text v0.37.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20251202230838-ff82c1b0f217 // indirect
	google.golang.org/grpc v1.79.3 // indirect
	google.golang.org/protobuf v1.36.10 // indirect
)
