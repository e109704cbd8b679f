-- Argo CD health for storage.stateful.dev/VolumeBackupPolicy.
-- Suspended is what the user asked for, so it is reported as such rather than
-- as a problem; a Stale policy (backups older than the schedule allows) is Degraded.
local hs = { status = "Progressing", message = "Waiting for the operator to report status" }
if obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "Suspended: no backups are created or pruned"
  return hs
end
if obj.status == nil then
  return hs
end
local generation = obj.metadata.generation or 0
if obj.status.observedGeneration == nil or obj.status.observedGeneration < generation then
  hs.message = "Waiting for the operator to observe generation " .. generation
  return hs
end
local conditions = {}
if obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    conditions[c.type] = c
  end
end
if conditions["Stale"] ~= nil and conditions["Stale"].status == "True" then
  hs.status = "Degraded"
  hs.message = conditions["Stale"].message or "Backups are older than the schedule allows"
  return hs
end
local ready = conditions["Ready"]
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message or "Ready"
  return hs
end
if ready ~= nil and ready.status == "False" and ready.reason ~= nil and ready.reason ~= "Pending" then
  hs.status = "Degraded"
  hs.message = ready.message or ready.reason
  return hs
end
return hs
