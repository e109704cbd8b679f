-- Argo CD health for storage.stateful.dev/StatefulVolume.
-- A status written for an older generation says nothing about the current
-- spec, so it reads as Progressing until the operator has caught up.
local hs = { status = "Progressing", message = "Waiting for the operator to report status" }
if obj.status == nil then
  return hs
end
local generation = obj.metadata.generation or 0
if obj.status.observedGeneration == nil or obj.status.observedGeneration < generation then
  hs.message = "Waiting for the operator to observe generation " .. generation
  return hs
end
local ready = nil
if obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.type == "Ready" then
      ready = c
    end
  end
end
if obj.status.phase == "Failed" then
  hs.status = "Degraded"
  hs.message = (ready and ready.message) or "The volume failed"
  return hs
end
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message or "Ready"
  return hs
end
if ready ~= nil then
  hs.message = ready.message or ready.reason or hs.message
end
return hs
