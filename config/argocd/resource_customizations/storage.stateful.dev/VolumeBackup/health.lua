-- Argo CD health for storage.stateful.dev/VolumeBackup.
--
-- Every wait (for the volume, its snapshot class, another backup of the same
-- volume, a snapshot slot) ends at spec.deadlineSeconds at the latest, when
-- the backup turns Failed: so waiting is Progressing and only Failed is
-- Degraded. Only the base and table libraries are used: Argo CD runs scripts
-- from argocd-cm without the string library.

local function readyCondition(status)
  if status.conditions ~= nil then
    for _, c in ipairs(status.conditions) do
      if c.type == "Ready" then
        return c
      end
    end
  end
  return nil
end

local function health(o)
  local hs = { status = "Progressing", message = "Waiting for the operator to report status" }
  local status = o.status
  if status == nil or status.phase == nil then
    return hs
  end
  local generation = o.metadata.generation or 0
  if status.observedGeneration ~= nil and status.observedGeneration < generation then
    hs.message = "Waiting for the operator to observe generation " .. generation
    return hs
  end
  local phase = status.phase
  local ready = readyCondition(status)
  if phase == "Ready" then
    hs.status = "Healthy"
    hs.message = (ready and ready.message) or "Backup is ready to restore from"
  elseif phase == "Failed" then
    hs.status = "Degraded"
    hs.message = "Backup failed"
    if status.error ~= nil then
      hs.message = (status.error.reason or "Failed") .. ": " .. (status.error.message or "")
    end
  elseif phase == "Deleting" then
    hs.message = "Deleting: waiting for restores from this backup to finish"
  elseif ready ~= nil and ready.status == "False" and ready.reason ~= nil then
    hs.message = ready.reason .. ": " .. (ready.message or phase)
  else
    hs.message = "Backup is " .. phase
  end
  return hs
end

return health(obj)
