-- Argo CD health for storage.stateful.dev/FailoverGroup.
-- FailedOver means the workload runs, but from a standby zone without its
-- usual protection: Degraded, so someone looks at it and plans the failback.
local hs = { status = "Progressing", message = "Waiting for the operator to report status" }
if obj.status == nil or obj.status.phase == nil then
  return hs
end
local generation = obj.metadata.generation or 0
if obj.status.observedGeneration == nil or obj.status.observedGeneration < generation then
  hs.message = "Waiting for the operator to observe generation " .. generation
  return hs
end
local phase = obj.status.phase
local zone = obj.status.activeZone or "unknown"
if phase == "Healthy" then
  hs.status = "Healthy"
  hs.message = "Healthy, active zone " .. zone
elseif phase == "FailingOver" then
  hs.message = "Failing over, active zone " .. zone
elseif phase == "FailedOver" then
  hs.status = "Degraded"
  hs.message = "Failed over to zone " .. zone .. "; fail back when the original zone is healthy"
else
  hs.status = "Degraded"
  hs.message = phase .. ", active zone " .. zone
end
if obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.type == "Ready" and c.status ~= "True" and c.message ~= nil and hs.status ~= "Healthy" then
      hs.message = hs.message .. ": " .. c.message
    end
  end
end
return hs
