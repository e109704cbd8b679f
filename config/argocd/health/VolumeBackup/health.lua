-- Argo CD health for storage.stateful.dev/VolumeBackup, from its phase.
local hs = { status = "Progressing", message = "Waiting for the operator to report status" }
if obj.status == nil or obj.status.phase == nil then
  return hs
end
local phase = obj.status.phase
if phase == "Ready" then
  hs.status = "Healthy"
  hs.message = "Backup is ready to restore from"
elseif phase == "Failed" then
  hs.status = "Degraded"
  hs.message = "Backup failed"
  if obj.status.error ~= nil and obj.status.error.message ~= nil then
    hs.message = obj.status.error.message
  end
else
  hs.message = "Backup is " .. phase
end
return hs
